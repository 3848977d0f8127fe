"""What every sampler is: parameters, checks, preparation once per job, one draw per record.

A sampler's `draw` gets a `Draw`: the record's seed, index and variable name, the values
sampled so far, and a generator seeded by those three alone, so a value never depends on the
batch, the shard or which other variables the spec has.
"""

import json
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from .context import SamplingContext
from .errors import SamplingError


class Draw:
    __slots__ = ("name", "record_index", "seed", "values")

    def __init__(self, seed: int, record_index: int, name: str, values: dict):
        self.seed = seed
        self.record_index = record_index
        self.name = name
        self.values = values

    @property
    def key(self) -> str:
        return f"{self.seed}:{self.record_index}:{self.name}"

    def rng(self) -> random.Random:
        return random.Random(self.key)

    def fail(self, message: str) -> SamplingError:
        return SamplingError(f"{self.name}: {message}", self.values)


class Sampler:
    name: ClassVar[str]
    parameters: ClassVar[dict[str, dict]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # Its value is a function of other variables' values: it adds no combinations.
    derived: ClassVar[bool] = False

    def problems(self, params: dict, context: SamplingContext) -> list[str]:
        return []

    def prepare(self, params: dict, context: SamplingContext) -> Any:
        """What every draw needs, computed once per job; SpecError when the context cannot serve it."""
        return params

    def draw(self, prepared: Any, draw: Draw) -> Any:
        raise NotImplementedError

    def values(self, params: dict, context: SamplingContext) -> Sequence | None:
        """Every value it can give, when there are finitely many and they are known; else None."""
        return None


def distinct(values) -> list:
    seen = {}
    for value in values:
        seen.setdefault(json.dumps(value, sort_keys=True), value)
    return list(seen.values())


def rounded(value: float, digits: int | None):
    if digits is None:
        return value
    return round(value) if digits == 0 else round(value, digits)


def min_above_max(params: dict) -> list[str]:
    low, high = params.get("min"), params.get("max")
    if low is not None and high is not None and low > high:
        return [f"min ({low}) is greater than max ({high})"]
    return []
