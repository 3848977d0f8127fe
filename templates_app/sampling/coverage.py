"""How many distinct variable combinations a spec has, and how many a job of N records covers.

Counted over each variable's set of values: choice (values with a positive weight), int_range,
list, bernoulli, float_range with `round`, and, given the context, subchapter and exemplar.
A template variable is a function of its inputs and adds no combinations. Any other sampler
(float_range without `round`, gaussian, poisson, datetime, uuid, person, faker) makes the
count unbounded. Like sampling, counting needs the context of subchapter and exemplar variables.

Variables are counted as independent, so the count is exact for random samplers and an upper
bound when several index-driven ones (list in order or cycling, subchapter) move together or
when several exemplar variables read the same exemplar. A parameter that depends on another
variable is followed value by value, up to MAX_ENUMERATED assignments (beyond that each
variable counts with its largest set of values, again an upper bound).
"""

import math
from dataclasses import dataclass

from .context import SamplingContext
from .engine import VariableSampler
from .errors import SamplingError
from .parameters import chosen_case, take, variants
from .spec import dependency_graph

MAX_ENUMERATED = 100_000


@dataclass(frozen=True)
class Coverage:
    combinations: int | None  # None: unbounded
    record_count: int
    covered_at_most: int  # min(record_count, combinations)
    expected_distinct: float | None  # under uniform sampling of the combinations; finite specs only
    unbounded: tuple[str, ...]  # the variables that make the count unbounded
    exact: bool  # False when combinations is an upper bound (see the module's notes)


class _TooMany(Exception):
    pass


def coverage(spec: dict, *, record_count: int, context: SamplingContext | None = None) -> Coverage:
    """SpecError if the spec is invalid."""
    sampler = VariableSampler(spec, context)
    context = sampler.context
    unbounded = tuple(
        variable.name
        for variable in sampler.variables
        if not variable.sampler.derived
        and any(variable.sampler.values(params, context) is None for _, params in variants(spec[variable.name]))
    )
    if unbounded:
        return Coverage(None, record_count, record_count, None, unbounded, True)
    try:
        combinations, exact = _enumerate(sampler), True
    except _TooMany:
        combinations, exact = _upper_bound(sampler), False
    exact = exact and not _moves_together(sampler)
    return Coverage(
        combinations=combinations,
        record_count=record_count,
        covered_at_most=min(record_count, combinations),
        expected_distinct=expected_distinct(combinations, record_count),
        unbounded=(),
        exact=exact,
    )


def expected_distinct(combinations: int, record_count: int) -> float:
    """Distinct combinations expected in record_count uniform draws: K * (1 - (1 - 1/K)^N)."""
    if combinations == 0 or record_count == 0:
        return 0.0
    return combinations * -math.expm1(record_count * math.log1p(-1 / combinations)) if combinations > 1 else 1.0


def _enumerate(sampler: VariableSampler) -> int:
    """Walk the values of the variables others depend on; multiply in the counts of the rest."""
    graph = dependency_graph(sampler.spec)
    needed = set().union(*graph.values()) if graph else set()
    walked = [variable for variable in sampler.variables if variable.name in needed]
    counted = [variable for variable in sampler.variables if variable.name not in needed]
    visits = 0

    def values_of(variable, assigned):
        try:
            params = _params_for(variable, assigned)
        except SamplingError:
            return []  # no case for these values: such records fail and cover nothing
        if variable.sampler.derived:
            try:
                return [variable.sampler.draw(variable.prepared_for(assigned), _Evaluation(variable.name, assigned))]
            except SamplingError:
                return []
        return variable.sampler.values(params, sampler.context)

    def walk(position: int, assigned: dict) -> int:
        nonlocal visits
        visits += 1
        if visits > MAX_ENUMERATED:
            raise _TooMany
        if position == len(walked):
            total = 1
            for variable in counted:
                total *= 1 if variable.sampler.derived else len(values_of(variable, assigned))
            return total
        variable = walked[position]
        return sum(walk(position + 1, {**assigned, variable.name: value}) for value in values_of(variable, assigned))

    return walk(0, {})


def _params_for(variable, assigned: dict) -> dict:
    """The variable's parameters with the cases the assigned values choose."""
    params = dict(variable.params)
    for parameter, value in variable.dependent:
        params[parameter] = take(value, chosen_case(variable.name, parameter, value, assigned))
    return params


class _Evaluation:
    """A Draw for derived samplers, which read only the values sampled so far."""

    def __init__(self, name: str, values: dict):
        self.name, self.values = name, values
        self.seed = self.record_index = 0

    def fail(self, message: str) -> SamplingError:
        return SamplingError(f"{self.name}: {message}", self.values)


def _upper_bound(sampler: VariableSampler) -> int:
    total = 1
    for variable in sampler.variables:
        if not variable.sampler.derived:
            total *= max(
                len(variable.sampler.values(params, sampler.context)) for _, params in variants(variable.params)
            )
    return total


def _moves_together(sampler: VariableSampler) -> bool:
    index_driven = [
        variable
        for variable in sampler.variables
        if variable.sampler.name in ("subchapter", "exemplar")
        or (variable.sampler.name == "list" and variable.params.get("mode", "cycle") != "sample")
    ]
    return len(index_driven) > 1
