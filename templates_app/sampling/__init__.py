"""Seeded variable samplers.

A version's `variables` maps each variable name to a sampler and its parameters:

    choice       {"values": [...], "weights": [...]?}          one of the values (weights relative)
    int_range    {"min": int, "max": int}                      an integer, both ends included
    float_range  {"min": n, "max": n, "round": digits?}        uniform; round 0 gives an integer
    list         {"values": [...], "mode": "cycle"?}           cycle (default): values[i % len];
                                                               in_order: values[i], records past the
                                                               end fail; sample: a random value
    template     {"expression": "a + b"}                       a Jinja2 expression of other variables
    exemplar     {"field": "question"}                         a field of a random exemplar (one
                                                               exemplar per record for all of them)
    subchapter   {}                                            the template chapter's subchapter keys
                                                               by key, record i takes i % count
    gaussian     {"mean": n, "stddev": n, "round"?, "min"?, "max"?}   normal, clamped to min/max
    bernoulli    {"p": 0..1}                                   true with probability p
    poisson      {"lam": n}                                    a count (Knuth; normal above lam 30)
    datetime     {"start": iso, "end": iso, "format"?}         uniform; days between two dates,
                                                               else seconds; strftime format or ISO
    uuid         {}                                            a version 4 UUID from the seed
    person       {"part": "full" | "first" | "last"?}          a name in the job's locale (Faker)
    faker        {"provider": "city"}                          a whitelisted Faker method, job locale

Every parameter may instead depend on another variable: {"by": "difficulty", "cases": {"easy":
[...], "hard": [...]}, "default": ...?} (see `parameters`). Template expressions and such
dependencies decide the order variables are sampled in; cycles are refused.

Each variable of record i is drawn from a generator seeded by (job seed, i, variable name)
alone, so any record can be re-derived from its lineage whatever the batch size, the shard, or
the other variables of the spec.
"""

from .context import SamplingContext
from .coverage import Coverage, coverage
from .engine import VariableSampler, sample_variables
from .errors import SamplingError, SpecError
from .fake import FAKER_PROVIDERS
from .samplers import SAMPLERS
from .spec import VARIABLES_SPEC_SCHEMA, variables_spec_errors

__all__ = [
    "FAKER_PROVIDERS",
    "SAMPLERS",
    "VARIABLES_SPEC_SCHEMA",
    "Coverage",
    "SamplingContext",
    "SamplingError",
    "SpecError",
    "VariableSampler",
    "coverage",
    "sample_variables",
    "variables_spec_errors",
]
