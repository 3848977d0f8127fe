"""Checking a variables spec: each problem is named with its variable and what to change."""

import pytest
from jsonschema import Draft202012Validator

from templates_app.sampling import FAKER_PROVIDERS, VARIABLES_SPEC_SCHEMA, variables_spec_errors

SAMPLER_NAMES = (
    "'choice', 'int_range', 'float_range', 'list', 'template', 'exemplar', 'subchapter', 'gaussian', "
    "'bernoulli', 'poisson', 'datetime', 'uuid', 'person', 'faker'"
)
INT = {"sampler": "int_range", "min": 1, "max": 9}
VALID_SPEC = {
    "difficulty": {"sampler": "choice", "values": ["easy", "hard"], "weights": [3, 1]},
    "a": INT,
    "x": {"sampler": "float_range", "min": 0, "max": 1, "round": 2},
    "item": {"sampler": "list", "values": [1, 2], "mode": "sample"},
    "total": {"sampler": "template", "expression": "a + item"},
    "example": {"sampler": "exemplar", "field": "question"},
    "topic": {"sampler": "subchapter"},
    "height": {"sampler": "gaussian", "mean": 170, "stddev": 10, "round": 0, "min": 100, "max": 250},
    "coin": {"sampler": "bernoulli", "p": 0.5},
    "arrivals": {"sampler": "poisson", "lam": 3},
    "when": {"sampler": "datetime", "start": "2024-01-01", "end": "2024-12-31", "format": "%d %B %Y"},
    "id": {"sampler": "uuid"},
    "customer": {"sampler": "person", "part": "first"},
    "town": {"sampler": "faker", "provider": "city"},
    "style": {
        "sampler": "choice",
        "values": {"by": "difficulty", "cases": {"easy": ["plain"], "hard": ["proof"]}},
        "weights": {"by": "coin", "cases": {"true": [1]}, "default": [2]},
    },
}


def test_the_variables_spec_schema_is_valid_json_schema():
    Draft202012Validator.check_schema(VARIABLES_SPEC_SCHEMA)


def test_a_spec_using_every_sampler_is_valid():
    assert variables_spec_errors(VALID_SPEC) == []


def test_a_valid_spec_passes_the_json_schema_alone():
    assert list(Draft202012Validator(VARIABLES_SPEC_SCHEMA).iter_errors(VALID_SPEC)) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param([], "[] is not of type 'object'", id="not-an-object"),
        pytest.param(
            {"2x": INT},
            "'2x' is not a valid variable name (letters, digits and _, not starting with a digit)",
            id="bad-name",
        ),
        pytest.param({"x": 5}, "x: 5 is not of type 'object'", id="variable-not-an-object"),
        pytest.param({"x": {"sampler": "dice"}}, f"x: unknown sampler 'dice' (use one of {SAMPLER_NAMES})", id="dice"),
        pytest.param({"x": {"values": [1]}}, f"x: no sampler given (use one of {SAMPLER_NAMES})", id="no-sampler"),
        pytest.param(
            {"n": {"sampler": "int_range", "min": 1}},
            "n: missing parameter 'max' for sampler 'int_range'",
            id="missing-parameter",
        ),
        pytest.param(
            {"n": {"sampler": "int_range"}},
            "n: missing parameters 'min', 'max' for sampler 'int_range'",
            id="missing-parameters",
        ),
        pytest.param(
            {"n": {**INT, "step": 2}},
            "n: unknown parameter 'step' for sampler 'int_range' (it takes 'min', 'max')",
            id="unknown-parameter",
        ),
        pytest.param(
            {"u": {"sampler": "uuid", "version": 4}},
            "u: unknown parameter 'version' for sampler 'uuid' (it takes no parameters)",
            id="parameter-for-a-sampler-without-any",
        ),
        pytest.param(
            {"n": {"sampler": "int_range", "min": "1", "max": 9}}, "n: min: '1' is not of type 'integer'", id="type"
        ),
        pytest.param(
            {"b": {"sampler": "int_range", "min": 5, "max": 1}}, "b: min (5) is greater than max (1)", id="int-min-max"
        ),
        pytest.param(
            {"f": {"sampler": "float_range", "min": 2.5, "max": 1}},
            "f: min (2.5) is greater than max (1)",
            id="float-min-max",
        ),
        pytest.param(
            {"f": {"sampler": "float_range", "min": 0, "max": 1, "round": 20}},
            "f: round: 20 is greater than the maximum of 15",
            id="round-too-large",
        ),
        pytest.param(
            {"g": {"sampler": "gaussian", "mean": 0, "stddev": 1, "min": 3, "max": 2}},
            "g: min (3) is greater than max (2)",
            id="gaussian-clamp",
        ),
        pytest.param(
            {"g": {"sampler": "gaussian", "mean": 0, "stddev": -1}},
            "g: stddev: -1 is less than the minimum of 0",
            id="negative-stddev",
        ),
        pytest.param({"c": {"sampler": "choice", "values": []}}, "c: values: [] should be non-empty", id="no-values"),
        pytest.param(
            {"c": {"sampler": "choice", "values": [1, 2], "weights": [1]}}, "c: 1 weights for 2 values", id="weights"
        ),
        pytest.param(
            {"c": {"sampler": "choice", "values": [1, 2], "weights": [0, 0]}},
            "c: at least one weight must be positive",
            id="zero-weights",
        ),
        pytest.param(
            {"c": {"sampler": "choice", "values": [1, float("nan")]}},
            "c: values/1: nan is not a finite number",
            id="not-finite",
        ),
        pytest.param(
            {"l": {"sampler": "list", "values": [1], "mode": "random"}},
            "l: mode: 'random' is not allowed (use one of 'cycle', 'in_order', 'sample')",
            id="list-mode",
        ),
        pytest.param(
            {"coin": {"sampler": "bernoulli", "p": 1.5}}, "coin: p: 1.5 is greater than the maximum of 1", id="p"
        ),
        pytest.param(
            {"k": {"sampler": "poisson", "lam": -1}}, "k: lam: -1 is less than the minimum of 0", id="negative-lam"
        ),
        pytest.param(
            {"d": {"sampler": "datetime", "start": "yesterday", "end": "2024-01-01"}},
            "d: start: 'yesterday' is not an ISO 8601 date or datetime",
            id="datetime-not-iso",
        ),
        pytest.param(
            {"d": {"sampler": "datetime", "start": "2024-02-01", "end": "2024-01-01"}},
            "d: start (2024-02-01) is after end (2024-01-01)",
            id="datetime-reversed",
        ),
        pytest.param(
            {"d": {"sampler": "datetime", "start": "2024-01-01T00:00:00+00:00", "end": "2024-02-01T00:00:00"}},
            "d: start and end must both have a time zone or both have none",
            id="datetime-time-zones",
        ),
        pytest.param(
            {"p": {"sampler": "person", "part": "middle"}},
            "p: part: 'middle' is not allowed (use one of 'full', 'first', 'last')",
            id="person-part",
        ),
        pytest.param(
            {"f": {"sampler": "faker", "provider": "pystr"}},
            "f: provider: 'pystr' is not allowed (use one of " + ", ".join(map(repr, FAKER_PROVIDERS)) + ")",
            id="faker-provider-outside-the-whitelist",
        ),
        pytest.param(
            {"t": {"sampler": "template", "expression": "a +"}},
            "t: expression: unexpected 'end of template'",
            id="template-syntax",
        ),
        pytest.param(
            {"t": {"sampler": "template", "expression": "a }}{{ a"}, "a": INT},
            "t: expression: unexpected text after the expression",
            id="template-trailing-text",
        ),
        pytest.param(
            {"t": {"sampler": "template", "expression": "a + c"}, "a": INT},
            "t: expression uses unknown variable 'c'",
            id="template-unknown-variable",
        ),
        pytest.param(
            {"t": {"sampler": "template", "expression": "[1, 2]|random"}},
            "t: expression: the 'random' filter is not deterministic; sample with a choice variable instead",
            id="template-random-filter",
        ),
        pytest.param(
            {"a": {"sampler": "template", "expression": "b"}, "b": {"sampler": "template", "expression": "a"}},
            "cycle between variables: a -> b -> a",
            id="cycle",
        ),
        pytest.param(
            {"a": {"sampler": "template", "expression": "a + 1"}},
            "cycle between variables: a -> a",
            id="self-cycle",
        ),
        pytest.param(
            {"style": {"sampler": "choice", "values": {"by": "level", "cases": {"1": ["x"]}}}},
            "style: values: depends on unknown variable 'level'",
            id="depends-on-unknown-variable",
        ),
        pytest.param(
            {
                "level": {"sampler": "choice", "values": ["easy", "medium", "hard"]},
                "style": {"sampler": "choice", "values": {"by": "level", "cases": {"easy": ["x"], "hard": ["y"]}}},
            },
            "style: values: no case for level = 'medium' (add it or a 'default')",
            id="missing-case",
        ),
        pytest.param(
            {
                "level": {"sampler": "int_range", "min": 1, "max": 4},
                "style": {"sampler": "choice", "values": {"by": "level", "cases": {"1": ["x"]}}},
            },
            "style: values: no case for level = 2, 3, 4 (add them or a 'default')",
            id="missing-cases",
        ),
        pytest.param(
            {"level": INT, "style": {"sampler": "choice", "values": {"by": "level"}}},
            "style: values: 'cases' is a required property",
            id="dependent-without-cases",
        ),
        pytest.param(
            {
                "level": INT,
                "style": {"sampler": "choice", "values": {"by": "level", "cases": {"1": 3}, "default": [1]}},
            },
            "style: values/cases/1: 3 is not of type 'array'",
            id="dependent-case-of-the-wrong-type",
        ),
        pytest.param(
            {
                "level": {"sampler": "choice", "values": ["low", "high"]},
                "n": {"sampler": "int_range", "min": 5, "max": {"by": "level", "cases": {"low": 1, "high": 10}}},
            },
            "n (when level = 'low'): min (5) is greater than max (1)",
            id="dependent-case-min-above-max",
        ),
    ],
)
def test_an_invalid_spec_is_reported_with_the_variable_and_the_problem(spec, message):
    assert variables_spec_errors(spec) == [message]


def test_every_problem_of_a_spec_is_reported():
    spec = {"a": {"sampler": "int_range", "min": 5, "max": 1}, "b": {"sampler": "choice", "values": [1], "weights": []}}

    assert variables_spec_errors(spec) == ["a: min (5) is greater than max (1)", "b: 0 weights for 1 values"]


def test_exemplar_variables_are_checked_against_the_versions_exemplars():
    spec = {"q": {"sampler": "exemplar", "field": "question"}}

    errors = variables_spec_errors(spec, exemplars=[{"question": "?"}, {"answer": "!"}])

    assert errors == ["q: exemplar 2 lacks the field 'question'"]


def test_an_exemplar_variable_needs_exemplars():
    spec = {"q": {"sampler": "exemplar", "field": "question"}}

    assert variables_spec_errors(spec, exemplars=[]) == ["q: the version has no exemplars to take a field from"]


def test_an_exemplar_variable_is_not_checked_without_the_exemplars():
    assert variables_spec_errors({"q": {"sampler": "exemplar", "field": "question"}}) == []
