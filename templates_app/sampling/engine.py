"""Sampling a record's variables: everything that can be is prepared once per job."""

import functools
import json

from .base import Draw
from .context import SamplingContext
from .errors import SamplingError, SpecError
from .parameters import chosen_case, dependent_parameters, take, variants
from .samplers import SAMPLERS
from .spec import dependency_order, variables_spec_errors


class _Variable:
    def __init__(self, name: str, variable: dict, context: SamplingContext):
        self.name = name
        self.sampler = SAMPLERS[variable["sampler"]]
        self.params = {key: value for key, value in variable.items() if key != "sampler"}
        self.context = context
        self.dependent = dependent_parameters(variable)
        self._prepared: dict[tuple, object] = {}
        if not self.dependent:
            self._static = self._prepare(self.params)
        else:
            # Prepared now, so a case the context cannot serve fails the job before its first record.
            for _, params in variants(variable):
                self._prepare(params)

    def _prepare(self, params: dict):
        try:
            return self.sampler.prepare(params, self.context)
        except SpecError as exc:
            raise SpecError([f"{self.name}: {problem}" for problem in exc.problems]) from exc

    def prepared_for(self, values: dict):
        if not self.dependent:
            return self._static
        chosen = tuple(chosen_case(self.name, parameter, value, values) for parameter, value in self.dependent)
        prepared = self._prepared.get(chosen)
        if prepared is None:
            params = dict(self.params)
            for (parameter, value), key in zip(self.dependent, chosen, strict=True):
                params[parameter] = take(value, key)
            try:
                prepared = self._prepared[chosen] = self._prepare(params)
            except SpecError as exc:
                raise SamplingError(str(exc), values) from exc
        return prepared

    def record_limit(self) -> int | None:
        """How many records an in-order list can serve; None for every other sampler."""
        if self.sampler.name != "list":
            return None
        limits = [len(params["values"]) for _, params in variants(self.params) if params.get("mode") == "in_order"]
        return min(limits) if limits else None


class VariableSampler:
    """A spec checked, ordered and prepared for one context; `sample` is all a record costs.

    Each variable is drawn from a generator seeded by (seed, record index, variable name), so
    a record's values do not depend on the batch size, the shard, or the other variables.
    """

    def __init__(self, spec: dict, context: SamplingContext | None = None):
        self.context = context or SamplingContext()
        problems = variables_spec_errors(spec, exemplars=self.context.exemplars)
        if problems:
            raise SpecError(problems)
        self.spec = spec
        self.order = dependency_order(spec)
        self.variables = [_Variable(name, spec[name], self.context) for name in self.order]
        self._names = sorted(spec)

    @property
    def record_limit(self) -> int | None:
        """Records past this index fail (an in-order list runs out); None when there is no end."""
        limits = [limit for variable in self.variables if (limit := variable.record_limit()) is not None]
        return min(limits) if limits else None

    def sample(self, seed: int, record_index: int) -> dict:
        """The record's variables by name; SamplingError when this record cannot be sampled."""
        values: dict = {}
        for variable in self.variables:
            prepared = variable.prepared_for(values)
            values[variable.name] = variable.sampler.draw(prepared, Draw(seed, record_index, variable.name, values))
        return {name: values[name] for name in self._names}


def sample_variables(spec: dict, *, seed: int, record_index: int, context: SamplingContext | None = None) -> dict:
    """One record's variables. For many records build a VariableSampler once and call `sample`."""
    return _sampler_for(spec, context or SamplingContext()).sample(seed, record_index)


def _sampler_for(spec: dict, context: SamplingContext) -> VariableSampler:
    try:
        key = json.dumps([spec, context.locale, context.exemplars, context.subchapter_keys], sort_keys=True)
    except (TypeError, ValueError):
        return VariableSampler(spec, context)
    return _cached_sampler(key)


@functools.lru_cache(maxsize=64)
def _cached_sampler(key: str) -> VariableSampler:
    spec, locale, exemplars, subchapter_keys = json.loads(key)
    context = SamplingContext(
        locale=locale,
        exemplars=None if exemplars is None else tuple(exemplars),
        subchapter_keys=None if subchapter_keys is None else tuple(subchapter_keys),
    )
    return VariableSampler(spec, context)
