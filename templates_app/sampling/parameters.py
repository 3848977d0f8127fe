"""Parameters that depend on another variable's value.

Any parameter of any sampler may be written as

    {"by": "<variable>", "cases": {"<value>": <parameter>, ...}, "default": <parameter>}

and then takes, for each record, the case named by the other variable's value ("default" is
optional and used when no case matches). Case names are JSON object keys, so a value is matched
by its JSON text: "easy" for the string easy, "3" for 3, "true" for True.
"""

import itertools
import json
from collections.abc import Iterator
from typing import Any

from .errors import SamplingError

DEFAULT = "\0default"
MAX_CHECKED_VARIANTS = 256


def is_dependent(value: Any) -> bool:
    return isinstance(value, dict) and "by" in value


def case_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def options(value: Any) -> list:
    """Every value the parameter can take: its cases and default, or itself."""
    if not is_dependent(value):
        return [value]
    return [*value["cases"].values(), *([value["default"]] if "default" in value else [])]


def dependent_parameters(variable: dict) -> list[tuple[str, dict]]:
    return [(name, value) for name, value in variable.items() if name != "sampler" and is_dependent(value)]


def chosen_case(variable_name: str, parameter: str, value: dict, values: dict) -> str:
    """The case (or DEFAULT) a record takes, given the values sampled so far."""
    key = case_key(values[value["by"]])
    if key in value["cases"]:
        return key
    if "default" in value:
        return DEFAULT
    raise SamplingError(
        f"{variable_name}: {parameter}: no case for {value['by']} = {values[value['by']]!r} and no default",
        values,
    )


def take(value: dict, key: str) -> Any:
    return value["default"] if key == DEFAULT else value["cases"][key]


def variants(variable: dict) -> Iterator[tuple[str, dict]]:
    """(label, resolved parameters) for each combination of cases, up to MAX_CHECKED_VARIANTS.

    Parameters depending on the same variable move together: a record with difficulty "hard"
    takes the "hard" case of each of them.
    """
    dependent = dependent_parameters(variable)
    if not dependent:
        yield "", variable
        return
    keys_by_variable: dict[str, list[str]] = {}
    for _, value in dependent:
        keys = keys_by_variable.setdefault(value["by"], [])
        for key in [*value["cases"], *([DEFAULT] if "default" in value else [])]:
            if key not in keys:
                keys.append(key)
    names = sorted(keys_by_variable)
    combinations = itertools.product(*(keys_by_variable[name] for name in names))
    for chosen in itertools.islice(combinations, MAX_CHECKED_VARIANTS):
        by_value = dict(zip(names, chosen, strict=True))
        resolved = dict(variable)
        complete = True
        for parameter, value in dependent:
            key = by_value[value["by"]]
            if key in value["cases"] or (key == DEFAULT and "default" in value):
                resolved[parameter] = take(value, key)
            elif "default" in value:
                resolved[parameter] = value["default"]
            else:
                complete = False
        if complete:
            conditions = ", ".join(
                f"{name} = {'another value' if key == DEFAULT else repr(key)}" for name, key in by_value.items()
            )
            yield f" (when {conditions})", resolved
