"""The variables spec: its JSON Schema, every check with a message a person can act on, and
the order variables are sampled in (each after the variables it depends on)."""

import heapq
import math
from typing import Any

from synthgov.json_schema import trusted_schema_validator

from . import expressions
from .context import SamplingContext
from .errors import SpecError
from .parameters import case_key, dependent_parameters, options, variants
from .samplers import SAMPLERS

NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
# A dependent parameter must have a case for every value its variable can take, when those
# values can be listed; past this many they are not.
MAX_CHECKED_CASES = 1_000
SAMPLER_NAMES = ", ".join(repr(name) for name in SAMPLERS)


def _dependent(schema: dict) -> dict:
    return {
        "type": "object",
        "properties": {
            "by": {"type": "string"},
            "cases": {"type": "object", "minProperties": 1, "additionalProperties": schema},
            "default": schema,
        },
        "required": ["by", "cases"],
        "additionalProperties": False,
    }


def _sampler_schema(sampler) -> dict:
    parameters = {name: {"anyOf": [schema, _dependent(schema)]} for name, schema in sampler.parameters.items()}
    return {
        "properties": {"sampler": {"const": sampler.name}, **parameters},
        "required": ["sampler", *sampler.required],
        "additionalProperties": False,
    }


VARIABLES_SPEC_SCHEMA = {
    "type": "object",
    "propertyNames": {"pattern": NAME_PATTERN},
    "additionalProperties": {
        "type": "object",
        "properties": {"sampler": {"enum": list(SAMPLERS)}},
        "required": ["sampler"],
        "allOf": [
            {
                "if": {"properties": {"sampler": {"const": name}}, "required": ["sampler"]},
                "then": _sampler_schema(sampler),
            }
            for name, sampler in SAMPLERS.items()
        ],
    },
}
_spec_validator = trusted_schema_validator(VARIABLES_SPEC_SCHEMA)


def variables_spec_errors(spec: Any, *, exemplars: list | tuple | None = None) -> list[str]:
    """Messages for everything wrong with a variables spec; empty when it is valid.

    With the version's `exemplars`, exemplar variables are checked against them too.
    """
    errors = _unique(message for error in _spec_validator.iter_errors(spec) for message in _describe(error))
    if errors:
        return errors
    context = SamplingContext(exemplars=None if exemplars is None else tuple(exemplars))
    errors += _non_finite_numbers(spec)
    for name, variable in spec.items():
        sampler = SAMPLERS[variable["sampler"]]
        for label, params in variants(variable):
            errors += [f"{name}{label}: {problem}" for problem in sampler.problems(params, context)]
    unknown = _unknown_variables(spec)
    errors += unknown
    if not unknown:
        errors += _missing_cases(spec, context)
        cycle = _cycle(dependency_graph(spec))
        if cycle:
            errors.append(f"cycle between variables: {' -> '.join(cycle)}")
    return _unique(errors)


def dependencies(variable: dict) -> set[str]:
    """The variables this one's value or parameters are computed from."""
    found = {value["by"] for _, value in dependent_parameters(variable)}
    if variable["sampler"] == "template":
        for source in options(variable["expression"]):
            found |= expressions.names(source)
    return found


def dependency_graph(spec: dict) -> dict[str, set[str]]:
    return {name: dependencies(variable) for name, variable in spec.items()}


def dependency_order(spec: dict) -> list[str]:
    """Every variable after those it depends on, ties by name; SpecError on a cycle."""
    graph = dependency_graph(spec)
    waiting = {name: len(needs & graph.keys()) for name, needs in graph.items()}
    needed_by: dict[str, list[str]] = {name: [] for name in graph}
    for name, needs in graph.items():
        for need in needs & graph.keys():
            needed_by[need].append(name)
    ready = [name for name, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for dependent in needed_by[name]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    if len(order) < len(graph):
        raise SpecError([f"cycle between variables: {' -> '.join(_cycle(graph))}"])
    return order


def possible_values(spec: dict, name: str, context: SamplingContext) -> list | None:
    """Every value a variable can take, if they are finitely many, known, and not too many."""
    variable = spec[name]
    sampler = SAMPLERS[variable["sampler"]]
    found = []
    for _, params in variants(variable):
        values = sampler.values(params, context)
        if values is None or len(values) > MAX_CHECKED_CASES:
            return None
        found.extend(values)
    return found


def _describe(error) -> list[str]:
    path = list(error.absolute_path)
    if "propertyNames" in error.relative_schema_path:
        return [f"{error.instance!r} is not a valid variable name (letters, digits and _, not starting with a digit)"]
    if not path:
        return [error.message]
    name, rest = path[0], path[1:]
    if error.validator == "anyOf" and len(rest) == 1:
        # A parameter is either its plain value or {"by": ..., "cases": ...}: explain the form meant.
        branch = 1 if isinstance(error.instance, dict) else 0
        chosen = [suberror for suberror in error.context if suberror.relative_schema_path[0] == branch]
        if chosen:
            return [message for suberror in chosen for message in _describe(suberror)]
    if not rest:
        return [f"{name}: {_describe_variable(error)}"]
    if rest == ["sampler"] and error.validator == "enum":
        return [f"{name}: unknown sampler {error.instance!r} (use one of {SAMPLER_NAMES})"]
    where = "/".join(str(part) for part in rest)
    if error.validator == "enum":
        allowed = ", ".join(repr(value) for value in error.validator_value)
        return [f"{name}: {where}: {error.instance!r} is not allowed (use one of {allowed})"]
    return [f"{name}: {where}: {error.message}"]


def _describe_variable(error) -> str:
    instance = error.instance
    sampler = instance.get("sampler") if isinstance(instance, dict) else None
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in instance]
        if missing == ["sampler"]:
            return f"no sampler given (use one of {SAMPLER_NAMES})"
        listed = ", ".join(repr(key) for key in missing)
        return f"missing parameter{'s' if len(missing) > 1 else ''} {listed} for sampler {sampler!r}"
    if error.validator == "additionalProperties":
        takes = [key for key in error.schema["properties"] if key != "sampler"]
        unknown = [key for key in instance if key not in error.schema["properties"]]
        takes_text = f"it takes {', '.join(map(repr, takes))}" if takes else "it takes no parameters"
        return f"unknown parameter {unknown[0]!r} for sampler {sampler!r} ({takes_text})"
    return error.message


def _non_finite_numbers(spec: dict) -> list[str]:
    """JSON readers accept NaN and Infinity; no sampler can use them and PostgreSQL cannot store them."""
    errors = []

    def walk(value, where):
        if isinstance(value, float) and not math.isfinite(value):
            errors.append(f"{where}: {value} is not a finite number")
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}/{index}")

    for name, variable in spec.items():
        for parameter, value in variable.items():
            walk(value, f"{name}: {parameter}")
    return errors


def _unknown_variables(spec: dict) -> list[str]:
    errors = []
    for name, variable in spec.items():
        for parameter, value in dependent_parameters(variable):
            if value["by"] not in spec:
                errors.append(f"{name}: {parameter}: depends on unknown variable {value['by']!r}")
        if variable["sampler"] == "template":
            for unknown in sorted(set().union(*map(expressions.names, options(variable["expression"]))) - spec.keys()):
                errors.append(f"{name}: expression uses unknown variable {unknown!r}")
    return errors


def _missing_cases(spec: dict, context: SamplingContext) -> list[str]:
    errors = []
    for name, variable in spec.items():
        for parameter, value in dependent_parameters(variable):
            if "default" in value or value["by"] == name:
                continue
            possible = possible_values(spec, value["by"], context)
            if possible is None:
                continue
            missing = [other for other in possible if case_key(other) not in value["cases"]]
            if missing:
                listed = ", ".join(map(_case_name, missing[:5])) + (", ..." if len(missing) > 5 else "")
                them = "them" if len(missing) > 1 else "it"
                errors.append(f"{name}: {parameter}: no case for {value['by']} = {listed} (add {them} or a 'default')")
    return errors


def _case_name(value) -> str:
    """How the value is named in "cases": quoted text, or JSON (2, true, null)."""
    return repr(value) if isinstance(value, str) else case_key(value)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts (a -> b -> a), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path = [start]
        on_path = {start: 0}
        stack = [(start, iter(sorted(graph[start] & graph.keys())))]
        while stack:
            node, needs = stack[-1]
            following = next(needs, None)
            if following is None:
                stack.pop()
                path.pop()
                del on_path[node]
                done.add(node)
            elif following in on_path:
                return [*path[on_path[following] :], following]
            elif following not in done:
                on_path[following] = len(path)
                path.append(following)
                stack.append((following, iter(sorted(graph[following] & graph.keys()))))
    return None


def _unique(messages) -> list[str]:
    return list(dict.fromkeys(messages))
