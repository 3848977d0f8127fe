"""Jinja2 expressions of the `template` sampler, in the project's bounded sandbox."""

import json
import math

from django.conf import settings
from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser

from templates_app.rendering import make_environment

# The `random` filter draws from Python's global generator: the value could not be re-derived
# from the record's lineage.
NONDETERMINISTIC_FILTERS = frozenset({"random"})


def parse(source: str, environment=None) -> nodes.Expr:
    """The expression's syntax tree, parsed as compile_expression does; TemplateSyntaxError if invalid."""
    environment = environment or make_environment()
    parser = Parser(environment, source, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateSyntaxError("unexpected text after the expression", parser.stream.current.lineno)
    return expression


def problems(source: str) -> list[str]:
    environment = make_environment()
    try:
        expression = parse(source, environment)
    except TemplateSyntaxError as exc:
        return [f"expression: {exc.message or exc}"]
    return [
        f"expression: the {node.name!r} filter is not deterministic; sample with a choice variable instead"
        for node in _nodes(expression, nodes.Filter)
        if node.name in NONDETERMINISTIC_FILTERS
    ]


def names(source: str) -> set[str]:
    """Variables the expression reads (the sandbox's globals such as range excluded); empty if invalid."""
    environment = make_environment()
    try:
        expression = parse(source, environment)
    except TemplateSyntaxError:
        return set()
    loaded = {node.name for node in _nodes(expression, nodes.Name) if node.ctx == "load"}
    return loaded - set(environment.globals)


def _nodes(expression: nodes.Expr, kind: type) -> list:
    """Nodes of that kind in the expression, itself included (find_all skips the root)."""
    return [*([expression] if isinstance(expression, kind) else []), *expression.find_all(kind)]


def compile_expression(source: str):
    return make_environment().compile_expression(source, undefined_to_none=False)


def json_value(value, where: str):
    """The expression's result as a JSON value bounded in size, or ValueError saying why not."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: the expression gave {value}, not a finite number")
        return value
    if isinstance(value, str):
        text = str(value)
        _check_size(len(text), where)
        return text
    if isinstance(value, (list, tuple, range, dict)):
        converted = _json_container(value, where)
        _check_size(len(json.dumps(converted)), where)
        return converted
    raise ValueError(f"{where}: the expression gave a {type(value).__name__}, which is not a JSON value")


def _json_container(value, where: str):
    if isinstance(value, dict):
        return {str(key): json_value(item, where) for key, item in value.items()}
    return [json_value(item, where) for item in value]


def _check_size(size: int, where: str) -> None:
    limit = settings.SYNTHGOV_MAX_RENDERED_CHARS
    if size > limit:
        raise ValueError(f"{where}: the expression's value is {size} characters, the limit is {limit}")
