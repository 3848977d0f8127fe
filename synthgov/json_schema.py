"""Every JSON Schema validator the project builds is built here.

Two hazards of a stock `jsonschema` validator on a schema a user wrote:

- References: by default `$ref` to `http://...` is fetched and `file:///...` read, and what comes
  back is applied. Here the registry's `retrieve` refuses every URI (the bundled meta-schemas stay
  resolvable), and a user's schema is refused unless every reference stays inside it (`#...`).
- Patterns: `pattern` and `patternProperties` run on Python's backtracking `re` (`^(a+)+$` against
  27 `a`s and a `!` took 14 s per record). Here they run on RE2 (linear time); a pattern RE2 cannot
  compile (lookaround, backreferences) is refused. A nested `$schema` naming another dialect would
  switch a subschema back to that dialect's stock keywords, so it is refused too.

`unevaluatedProperties` still matches `patternProperties` with `re`, over property names only: the
instances validated here are records of three short, fixed field names.
"""

from collections import deque
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.exceptions import NoSuchResource

from .errors import InvalidInput
from .regex import PatternRefused, linear

DIALECT = "https://json-schema.org/draft/2020-12/schema"
REFERENCE_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")


def _refuse_retrieval(uri: str):
    raise NoSuchResource(ref=uri)


# Resolves nothing by itself; jsonschema adds the bundled meta-schemas to it.
NO_RETRIEVAL = Registry(retrieve=_refuse_retrieval)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and linear(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        compiled = linear(pattern)
        for name, value in instance.items():
            if compiled.search(name) is not None:
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


_STOCK_ADDITIONAL_PROPERTIES = Draft202012Validator.VALIDATORS["additionalProperties"]


def _additional_properties(validator, additional, instance, schema):
    """The stock keyword, given only the properties no `patternProperties` pattern matches (by RE2)."""
    patterns = schema.get("patternProperties")
    if not patterns or not validator.is_type(instance, "object"):
        yield from _STOCK_ADDITIONAL_PROPERTIES(validator, additional, instance, schema)
        return
    compiled = [linear(pattern) for pattern in patterns]
    unmatched = {name: value for name, value in instance.items() if all(each.search(name) is None for each in compiled)}
    without_patterns = {keyword: value for keyword, value in schema.items() if keyword != "patternProperties"}
    yield from _STOCK_ADDITIONAL_PROPERTIES(validator, additional, unmatched, without_patterns)


LinearValidator = extend(
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def trusted_schema_validator(schema: dict | bool, *, format_checker=None):
    """A validator for a schema the project itself wrote (the variables spec, the meta-schema)."""
    return LinearValidator(schema, registry=NO_RETRIEVAL, format_checker=format_checker)


def _walk(document: Any) -> Iterator[tuple[str, dict]]:
    """Every object in a JSON document with its JSON pointer, without recursion (depth is the user's)."""
    pending: deque[tuple[str, Any]] = deque([("", document)])
    while pending:
        pointer, value = pending.popleft()
        if isinstance(value, dict):
            yield pointer, value
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        for key, child in children:
            if isinstance(child, dict | list):
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                pending.append((f"{pointer}/{escaped}", child))


def _pattern_problem(field: str, pattern: str, where: str) -> str | None:
    try:
        linear(pattern)
    except PatternRefused as exc:
        return (
            f"{field}: pattern {pattern!r} at {where} is refused: RE2, which runs patterns in linear time, "
            f"cannot compile it ({exc}; lookaround and backreferences are not supported)"
        )
    return None


def unsafe_schema_problems(schema: Any, *, field: str) -> list[str]:
    """What in a user's schema could reach outside it or run in more than linear time, each naming `field`.

    Every object of the document is looked at, not only the places the specification reads
    schemas from: a local `$ref` can point anywhere in the document.
    """
    problems = []
    for pointer, node in _walk(schema):
        where = f"'#{pointer}'"
        for keyword in REFERENCE_KEYWORDS:
            reference = node.get(keyword)
            if isinstance(reference, str) and not reference.startswith("#"):
                problems.append(
                    f"{field}: {keyword} {reference!r} at {where} points outside the schema; "
                    "only references inside it (starting with '#') are allowed"
                )
        dialect = node.get("$schema")
        if pointer and isinstance(dialect, str) and dialect.rstrip("#") != DIALECT:
            problems.append(f"{field}: $schema {dialect!r} at {where}: a subschema can only use the dialect {DIALECT}")
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            problems.append(_pattern_problem(field, pattern, where))
        pattern_properties = node.get("patternProperties")
        if isinstance(pattern_properties, dict):
            where = f"{where} (patternProperties)"
            problems += [_pattern_problem(field, pattern, where) for pattern in pattern_properties]
    return [problem for problem in problems if problem]


def schema_problems(schema: Any, *, field: str) -> list[str]:
    """Everything wrong with a user's JSON Schema: the meta-schema's first complaint, then what is unsafe."""
    meta = trusted_schema_validator(
        Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    problems = []
    error = next(meta.iter_errors(schema), None)
    if error is not None:
        problems.append(f"{field} is not valid JSON Schema: {error.message}")
    return problems + unsafe_schema_problems(schema, field=field)


def user_schema_validator(schema: Any, *, field: str):
    """A validator for a schema a user wrote; InvalidInput naming `field` when it is unsafe to run.

    Checked again here, not only when the schema was saved: a row can reach the database by
    other ways than the service (an import, a migration, a hand-made fix).
    """
    problems = unsafe_schema_problems(schema, field=field)
    if problems:
        raise InvalidInput("; ".join(problems), field=field)
    return LinearValidator(schema, registry=NO_RETRIEVAL)
