"""Coverage: how many distinct variable combinations a spec has and what N records cover."""

import pytest

from templates_app.sampling import SamplingContext, SpecError, coverage

SMALL = {
    "a": {"sampler": "int_range", "min": 1, "max": 3},
    "op": {"sampler": "choice", "values": ["+", "-"]},
    "flag": {"sampler": "bernoulli", "p": 0.5},
}


def test_a_finite_spec_has_the_product_of_its_value_counts():
    assert coverage(SMALL, record_count=5).combinations == 12


def test_a_job_smaller_than_the_combinations_covers_at_most_one_per_record():
    assert coverage(SMALL, record_count=5).covered_at_most == 5


def test_a_job_larger_than_the_combinations_covers_at_most_all_of_them():
    assert coverage(SMALL, record_count=1_000).covered_at_most == 12


def test_the_expected_distinct_count_is_that_of_uniform_draws():
    result = coverage(SMALL, record_count=12)

    assert result.expected_distinct == pytest.approx(12 * (1 - (11 / 12) ** 12))
    assert result.exact


def test_a_choice_value_of_zero_weight_is_not_counted():
    spec = {"c": {"sampler": "choice", "values": ["a", "b", "c", "a"], "weights": [1, 1, 0, 1]}}

    assert coverage(spec, record_count=10).combinations == 2


def test_a_template_variable_adds_no_combinations():
    spec = {**SMALL, "text": {"sampler": "template", "expression": "a ~ op"}}

    assert coverage(spec, record_count=10).combinations == 12


def test_a_rounded_float_range_is_finite():
    spec = {"x": {"sampler": "float_range", "min": 0, "max": 1, "round": 1}}

    assert coverage(spec, record_count=10).combinations == 11


def test_dependent_values_are_counted_per_case():
    spec = {
        "difficulty": {"sampler": "choice", "values": ["easy", "hard"]},
        "style": {
            "sampler": "choice",
            "values": {"by": "difficulty", "cases": {"easy": ["a", "b", "c"], "hard": ["d"]}},
        },
    }

    result = coverage(spec, record_count=10)

    assert (result.combinations, result.exact) == (4, True)


def test_a_parameter_depending_on_a_template_variable_is_followed_through_its_value():
    spec = {
        "a": {"sampler": "int_range", "min": 1, "max": 2},
        "double": {"sampler": "template", "expression": "a * 2"},
        "pick": {"sampler": "int_range", "min": 1, "max": {"by": "double", "cases": {"2": 1, "4": 3}}},
    }

    assert coverage(spec, record_count=10).combinations == 4


@pytest.mark.parametrize(
    "variable",
    [
        {"sampler": "float_range", "min": 0, "max": 1},
        {"sampler": "gaussian", "mean": 0, "stddev": 1},
        {"sampler": "poisson", "lam": 2},
        {"sampler": "datetime", "start": "2024-01-01", "end": "2024-01-02"},
        {"sampler": "uuid"},
        {"sampler": "person"},
        {"sampler": "faker", "provider": "city"},
    ],
    ids=lambda variable: variable["sampler"],
)
def test_a_continuous_or_open_sampler_makes_the_combinations_unbounded(variable):
    result = coverage({**SMALL, "open": variable}, record_count=50)

    assert (result.combinations, result.unbounded, result.expected_distinct) == (None, ("open",), None)
    assert result.covered_at_most == 50


def test_subchapters_count_when_the_context_lists_them():
    spec = {"topic": {"sampler": "subchapter"}, "op": SMALL["op"]}

    assert coverage(spec, record_count=10, context=SamplingContext(subchapter_keys=("x", "y", "z"))).combinations == 6


def test_subchapters_without_a_context_are_refused():
    with pytest.raises(SpecError, match="the subchapter sampler needs the template's subchapters"):
        coverage({"topic": {"sampler": "subchapter"}}, record_count=10)


def test_several_index_driven_variables_give_an_upper_bound():
    spec = {"x": {"sampler": "list", "values": [1, 2]}, "y": {"sampler": "list", "values": [3, 4]}}

    result = coverage(spec, record_count=10)

    assert (result.combinations, result.exact) == (4, False)
