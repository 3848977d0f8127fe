"""Seeded variable samplers.

Each record's variables come from a generator seeded by (job seed, record index) alone, so a
record can be re-derived from its lineage whatever the batch size or worker that produced it.
"""

import random
from typing import Any

from jsonschema import Draft202012Validator

VARIABLES_SPEC_SCHEMA = {
    "type": "object",
    "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
    "additionalProperties": {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "sampler": {"const": "choice"},
                    "values": {"type": "array", "minItems": 1},
                    "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
                },
                "required": ["sampler", "values"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "sampler": {"const": "int_range"},
                    "min": {"type": "integer"},
                    "max": {"type": "integer"},
                },
                "required": ["sampler", "min", "max"],
                "additionalProperties": False,
            },
        ]
    },
}
_spec_validator = Draft202012Validator(VARIABLES_SPEC_SCHEMA)


def variables_spec_errors(spec: Any) -> list[str]:
    """Messages for everything wrong with a variables spec; empty when it is valid."""
    errors = []
    for error in _spec_validator.iter_errors(spec):
        where = "/".join(str(part) for part in error.absolute_path) or "variables"
        if error.validator == "oneOf" and isinstance(error.instance, dict):
            sampler = error.instance.get("sampler")
            message = (
                f"unknown sampler {sampler!r} (use 'choice' or 'int_range')"
                if sampler not in ("choice", "int_range")
                else f"invalid parameters for sampler {sampler!r}"
            )
        else:
            message = error.message
        errors.append(f"{where}: {message}")
    if errors:
        return errors
    for name, variable in spec.items():
        if variable["sampler"] == "int_range" and variable["min"] > variable["max"]:
            errors.append(f"{name}: min ({variable['min']}) is greater than max ({variable['max']})")
        weights = variable.get("weights")
        if weights is not None:
            if len(weights) != len(variable["values"]):
                errors.append(f"{name}: {len(weights)} weights for {len(variable['values'])} values")
            elif not any(weights):
                errors.append(f"{name}: at least one weight must be positive")
    return errors


def record_rng(seed: int, record_index: int) -> random.Random:
    return random.Random(f"{seed}:{record_index}")


def sample_variables(spec: dict, *, seed: int, record_index: int) -> dict:
    rng = record_rng(seed, record_index)
    sampled = {}
    for name in sorted(spec):
        variable = spec[name]
        if variable["sampler"] == "choice":
            sampled[name] = rng.choices(variable["values"], weights=variable.get("weights"))[0]
        else:
            sampled[name] = rng.randint(variable["min"], variable["max"])
    return sampled
