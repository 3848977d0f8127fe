"""The samplers, registered by name in SAMPLERS (the order error messages list them in)."""

import itertools
import math
import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from jinja2 import Undefined

from . import expressions
from .base import Sampler, distinct, min_above_max, rounded
from .errors import SamplingError, SpecError
from .fake import FAKER_PROVIDERS, PERSON_PARTS, fake, faker_locale

NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
ROUND = {"type": "integer", "minimum": 0, "maximum": 15}
VALUES = {"type": "array", "minItems": 1}
# Above this the normal approximation is used; Knuth's method costs about lam draws.
POISSON_KNUTH_LIMIT = 30
MAX_DATETIME_FORMAT = 100


class Choice(Sampler):
    name = "choice"
    parameters = {"values": VALUES, "weights": {"type": "array", "items": {"type": "number", "minimum": 0}}}
    required = ("values",)

    def problems(self, params, context):
        weights, values = params.get("weights"), params["values"]
        if weights is None:
            return []
        if len(weights) != len(values):
            return [f"{len(weights)} weights for {len(values)} values"]
        if not any(weights):
            return ["at least one weight must be positive"]
        return []

    def prepare(self, params, context):
        weights = params.get("weights")
        return params["values"], None if weights is None else list(itertools.accumulate(weights))

    def draw(self, prepared, draw):
        values, cumulative_weights = prepared
        return draw.rng().choices(values, cum_weights=cumulative_weights)[0]

    def values(self, params, context):
        weights = params.get("weights") or [1] * len(params["values"])
        # Not strict: a spec with mismatched weights is reported, not counted.
        return distinct(value for value, weight in zip(params["values"], weights, strict=False) if weight > 0)


class IntRange(Sampler):
    name = "int_range"
    parameters = {"min": INTEGER, "max": INTEGER}
    required = ("min", "max")

    def problems(self, params, context):
        return min_above_max(params)

    def draw(self, prepared, draw):
        return draw.rng().randint(prepared["min"], prepared["max"])

    def values(self, params, context):
        return range(params["min"], params["max"] + 1)


class _Steps(Sequence):
    """The values round(x, digits) takes over [low, high], without listing them."""

    def __init__(self, low: float, high: float, digits: int):
        self.scale = 10**digits
        self.digits = digits
        self.steps = range(round(rounded(low, digits) * self.scale), round(rounded(high, digits) * self.scale) + 1)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, index):
        return rounded(self.steps[index] / self.scale, self.digits)


class FloatRange(Sampler):
    name = "float_range"
    parameters = {"min": NUMBER, "max": NUMBER, "round": ROUND}
    required = ("min", "max")

    def problems(self, params, context):
        return min_above_max(params)

    def draw(self, prepared, draw):
        return rounded(draw.rng().uniform(prepared["min"], prepared["max"]), prepared.get("round"))

    def values(self, params, context):
        if params.get("round") is None:
            return None
        return _Steps(params["min"], params["max"], params["round"])


class ListSampler(Sampler):
    name = "list"
    parameters = {"values": VALUES, "mode": {"enum": ["cycle", "in_order", "sample"]}}
    required = ("values",)

    def draw(self, prepared, draw):
        values, mode = prepared["values"], prepared.get("mode", "cycle")
        if mode == "sample":
            return draw.rng().choice(values)
        if mode == "cycle":
            return values[draw.record_index % len(values)]
        if draw.record_index >= len(values):
            raise draw.fail(
                f"the list has {len(values)} values and record {draw.record_index} is past its end "
                "(use mode 'cycle' to start over)"
            )
        return values[draw.record_index]

    def values(self, params, context):
        return distinct(params["values"])


class Template(Sampler):
    name = "template"
    parameters = {"expression": {"type": "string", "minLength": 1, "maxLength": 2000}}
    required = ("expression",)
    derived = True

    def problems(self, params, context):
        return expressions.problems(params["expression"])

    def prepare(self, params, context):
        return expressions.compile_expression(params["expression"])

    def draw(self, prepared, draw):
        try:
            value = prepared(**draw.values)
            if isinstance(value, Undefined):
                # Strict undefined values raise their error (undefined name, unsafe attribute) when used.
                str(value)
        except Exception as exc:
            # Whatever the user's expression raises fails this record, not the job.
            raise draw.fail(f"expression: {exc}") from exc
        try:
            return expressions.json_value(value, draw.name)
        except ValueError as exc:
            raise SamplingError(str(exc), draw.values) from exc


class Exemplar(Sampler):
    """Every exemplar variable of a record reads the same exemplar, so their fields stay together."""

    name = "exemplar"
    parameters = {"field": {"type": "string", "minLength": 1}}
    required = ("field",)

    def problems(self, params, context):
        if context.exemplars is None:
            return []
        if not context.exemplars:
            return ["the version has no exemplars to take a field from"]
        missing = [
            str(number) for number, exemplar in enumerate(context.exemplars, 1) if params["field"] not in exemplar
        ]
        if len(missing) == 1:
            return [f"exemplar {missing[0]} lacks the field {params['field']!r}"]
        if missing:
            return [f"exemplars {', '.join(missing)} lack the field {params['field']!r}"]
        return []

    def prepare(self, params, context):
        if not context.exemplars:
            raise SpecError(["the exemplar sampler needs the version's exemplars"])
        return params["field"], context.exemplars

    def draw(self, prepared, draw):
        field, exemplars = prepared
        exemplar = exemplars[random.Random(f"{draw.seed}:{draw.record_index}:#exemplar").randrange(len(exemplars))]
        if field not in exemplar:
            raise draw.fail(f"the chosen exemplar has no field {field!r}")
        return exemplar[field]

    def values(self, params, context):
        if context.exemplars is None:
            return None
        return distinct(exemplar[params["field"]] for exemplar in context.exemplars if params["field"] in exemplar)


class SubchapterSampler(Sampler):
    name = "subchapter"

    def prepare(self, params, context):
        if context.subchapter_keys is None:
            raise SpecError(["the subchapter sampler needs the template's subchapters"])
        if not context.subchapter_keys:
            raise SpecError(["the template's chapter has no subchapters"])
        return sorted(context.subchapter_keys)

    def draw(self, prepared, draw):
        return prepared[draw.record_index % len(prepared)]

    def values(self, params, context):
        return None if context.subchapter_keys is None else sorted(context.subchapter_keys)


class Gaussian(Sampler):
    name = "gaussian"
    parameters = {
        "mean": NUMBER,
        "stddev": {"type": "number", "minimum": 0},
        "round": ROUND,
        "min": NUMBER,
        "max": NUMBER,
    }
    required = ("mean", "stddev")

    def problems(self, params, context):
        return min_above_max(params)

    def draw(self, prepared, draw):
        value = draw.rng().gauss(prepared["mean"], prepared["stddev"])
        if "min" in prepared:
            value = max(value, prepared["min"])
        if "max" in prepared:
            value = min(value, prepared["max"])
        return rounded(value, prepared.get("round"))


class Bernoulli(Sampler):
    name = "bernoulli"
    parameters = {"p": {"type": "number", "minimum": 0, "maximum": 1}}
    required = ("p",)

    def draw(self, prepared, draw):
        return draw.rng().random() < prepared["p"]

    def values(self, params, context):
        return [value for value, possible in ((False, params["p"] < 1), (True, params["p"] > 0)) if possible]


class Poisson(Sampler):
    """Knuth's multiplication method below POISSON_KNUTH_LIMIT; above it the normal
    approximation N(lam, lam) rounded and floored at 0, whose error is small at that size."""

    name = "poisson"
    parameters = {"lam": {"type": "number", "minimum": 0, "maximum": 1_000_000_000}}
    required = ("lam",)

    def draw(self, prepared, draw):
        lam, rng = prepared["lam"], draw.rng()
        if lam >= POISSON_KNUTH_LIMIT:
            return max(0, round(rng.gauss(lam, math.sqrt(lam))))
        limit, count, product = math.exp(-lam), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count


def parse_moment(text: str) -> tuple[datetime, bool]:
    """(datetime, whether it was a bare date); ValueError if it is not ISO 8601."""
    if len(text) <= 10 and "T" not in text:
        return datetime.combine(date.fromisoformat(text), time()), True
    return datetime.fromisoformat(text), False


class DateTime(Sampler):
    """Uniform over whole days between two dates, else over whole seconds; both ends included."""

    name = "datetime"
    parameters = {
        "start": {"type": "string"},
        "end": {"type": "string"},
        "format": {"type": "string", "minLength": 1, "maxLength": MAX_DATETIME_FORMAT},
    }
    required = ("start", "end")

    def problems(self, params, context):
        moments = {}
        for bound in ("start", "end"):
            try:
                moments[bound] = parse_moment(params[bound])[0]
            except ValueError:
                return [f"{bound}: {params[bound]!r} is not an ISO 8601 date or datetime"]
        start, end = moments["start"], moments["end"]
        if (start.tzinfo is None) != (end.tzinfo is None):
            return ["start and end must both have a time zone or both have none"]
        if start > end:
            return [f"start ({params['start']}) is after end ({params['end']})"]
        return []

    def prepare(self, params, context):
        start, start_is_date = parse_moment(params["start"])
        end, end_is_date = parse_moment(params["end"])
        dates = start_is_date and end_is_date
        span = (end - start).days if dates else int((end - start).total_seconds())
        return start, span, dates, params.get("format")

    def draw(self, prepared, draw):
        start, span, dates, format_ = prepared
        offset = draw.rng().randint(0, span)
        moment = start + (timedelta(days=offset) if dates else timedelta(seconds=offset))
        if format_:
            return moment.strftime(format_)
        return moment.date().isoformat() if dates else moment.isoformat()


class UUID(Sampler):
    name = "uuid"

    def draw(self, prepared, draw):
        return str(uuid.UUID(int=draw.rng().getrandbits(128), version=4))


class Person(Sampler):
    name = "person"
    parameters = {"part": {"enum": list(PERSON_PARTS)}}

    def prepare(self, params, context):
        return faker_locale(context.locale), PERSON_PARTS[params.get("part", "full")]

    def draw(self, prepared, draw):
        locale, method = prepared
        return fake(locale, method, draw.key)


class FakerSampler(Sampler):
    name = "faker"
    parameters = {"provider": {"enum": list(FAKER_PROVIDERS)}}
    required = ("provider",)

    def prepare(self, params, context):
        return faker_locale(context.locale), params["provider"]

    def draw(self, prepared, draw):
        locale, method = prepared
        return fake(locale, method, draw.key)


SAMPLERS: dict[str, Sampler] = {
    sampler.name: sampler
    for sampler in (
        Choice(),
        IntRange(),
        FloatRange(),
        ListSampler(),
        Template(),
        Exemplar(),
        SubchapterSampler(),
        Gaussian(),
        Bernoulli(),
        Poisson(),
        DateTime(),
        UUID(),
        Person(),
        FakerSampler(),
    )
}
