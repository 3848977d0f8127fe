"""Seeded variable samplers: deterministic per (seed, record index), faithful to their parameters."""

from collections import Counter

import pytest

from templates_app.sampling import SamplingContext, SamplingError, SpecError, VariableSampler, sample_variables

SUM_SPEC = {
    "a": {"sampler": "int_range", "min": 1, "max": 10_000},
    "b": {"sampler": "int_range", "min": 1, "max": 10_000},
    "op": {"sampler": "choice", "values": ["plus", "minus", "times"]},
}


def _sample_many(spec, *, seed, count):
    return [sample_variables(spec, seed=seed, record_index=index) for index in range(count)]


def test_the_same_seed_and_record_index_give_the_same_variables():
    first = sample_variables(SUM_SPEC, seed=7, record_index=3)

    second = sample_variables(SUM_SPEC, seed=7, record_index=3)

    assert first == second


def test_every_variable_of_the_spec_is_sampled():
    assert set(sample_variables(SUM_SPEC, seed=7, record_index=0)) == {"a", "b", "op"}


def test_different_seeds_give_different_variables():
    assert _sample_many(SUM_SPEC, seed=1, count=20) != _sample_many(SUM_SPEC, seed=2, count=20)


def test_different_record_indexes_give_different_variables():
    records = _sample_many(SUM_SPEC, seed=1, count=50)

    assert len({(record["a"], record["b"]) for record in records}) > 45


def test_choice_weights_are_honoured():
    spec = {"word": {"sampler": "choice", "values": ["common", "rare"], "weights": [3, 1]}}

    counts = Counter(record["word"] for record in _sample_many(spec, seed=11, count=10_000))

    assert abs(counts["common"] / 10_000 - 0.75) < 0.02


def test_choice_with_a_zero_weight_never_picks_that_value():
    spec = {"word": {"sampler": "choice", "values": ["yes", "never"], "weights": [1, 0]}}

    counts = Counter(record["word"] for record in _sample_many(spec, seed=11, count=1_000))

    assert counts == {"yes": 1_000}


def test_choice_without_weights_picks_every_value_about_equally():
    spec = {"word": {"sampler": "choice", "values": ["x", "y", "z"]}}

    counts = Counter(record["word"] for record in _sample_many(spec, seed=5, count=9_000))

    assert all(abs(counts[value] / 9_000 - 1 / 3) < 0.02 for value in "xyz")


def test_int_range_stays_within_its_bounds_inclusive():
    spec = {"n": {"sampler": "int_range", "min": -2, "max": 2}}

    values = {record["n"] for record in _sample_many(spec, seed=3, count=1_000)}

    assert values == {-2, -1, 0, 1, 2}


def test_int_range_with_equal_bounds_always_gives_that_value():
    spec = {"n": {"sampler": "int_range", "min": 4, "max": 4}}

    assert {record["n"] for record in _sample_many(spec, seed=3, count=100)} == {4}


def test_a_records_variables_do_not_depend_on_the_records_sampled_before_it():
    in_a_loop = _sample_many(SUM_SPEC, seed=9, count=501)[500]

    alone = sample_variables(SUM_SPEC, seed=9, record_index=500)

    assert alone == in_a_loop


def test_a_records_variables_do_not_depend_on_the_key_order_of_the_spec():
    reordered = dict(reversed(list(SUM_SPEC.items())))

    assert sample_variables(reordered, seed=9, record_index=4) == sample_variables(SUM_SPEC, seed=9, record_index=4)


def test_an_empty_spec_samples_no_variables():
    assert sample_variables({}, seed=1, record_index=0) == {}


EVERY_SAMPLER = {
    "choice": {"sampler": "choice", "values": ["x", "y", "z"], "weights": [1, 2, 3]},
    "int_range": {"sampler": "int_range", "min": 0, "max": 1_000_000},
    "float_range": {"sampler": "float_range", "min": 0, "max": 1, "round": 4},
    "list_sample": {"sampler": "list", "values": list(range(100)), "mode": "sample"},
    "list_cycle": {"sampler": "list", "values": [1, 2, 3], "mode": "cycle"},
    "template": {"sampler": "template", "expression": "int_range * 2"},
    "exemplar": {"sampler": "exemplar", "field": "n"},
    "subchapter": {"sampler": "subchapter"},
    "gaussian": {"sampler": "gaussian", "mean": 0, "stddev": 1},
    "bernoulli": {"sampler": "bernoulli", "p": 0.5},
    "poisson": {"sampler": "poisson", "lam": 4},
    "datetime": {"sampler": "datetime", "start": "2000-01-01T00:00:00", "end": "2030-01-01T00:00:00"},
    "uuid": {"sampler": "uuid"},
    "person": {"sampler": "person"},
    "faker": {"sampler": "faker", "provider": "address"},
}
CONTEXT = SamplingContext(
    locale="en", exemplars=tuple({"n": number} for number in range(10)), subchapter_keys=("one", "two")
)


def test_every_sampler_gives_the_same_values_for_the_same_seed_and_record_index():
    first = VariableSampler(EVERY_SAMPLER, CONTEXT).sample(5, 17)

    second = VariableSampler(EVERY_SAMPLER, CONTEXT).sample(5, 17)

    assert first == second


def test_a_records_variables_do_not_depend_on_the_batch_size_or_the_shard():
    sampler = VariableSampler(EVERY_SAMPLER, CONTEXT)
    in_one_batch = [sampler.sample(5, index) for index in range(40)]

    in_batches_of_seven = [
        sampler.sample(5, index) for start in range(0, 40, 7) for index in range(start, min(start + 7, 40))
    ]
    second_shard_alone = [VariableSampler(EVERY_SAMPLER, CONTEXT).sample(5, index) for index in range(20, 40)]

    assert in_batches_of_seven == in_one_batch
    assert second_shard_alone == in_one_batch[20:]


@pytest.mark.parametrize("name", sorted(set(EVERY_SAMPLER) - {"template"}))
def test_a_variable_does_not_change_when_an_unrelated_variable_is_added_or_removed(name):
    alone = {name: EVERY_SAMPLER[name]}

    with_the_rest = [VariableSampler(EVERY_SAMPLER, CONTEXT).sample(3, index)[name] for index in range(20)]

    assert [VariableSampler(alone, CONTEXT).sample(3, index)[name] for index in range(20)] == with_the_rest


def test_a_variable_does_not_change_when_another_variable_is_renamed():
    spec = {
        "a": {"sampler": "int_range", "min": 1, "max": 10**9},
        "b": {"sampler": "int_range", "min": 1, "max": 10**9},
    }
    renamed = {"a": spec["a"], "c": spec["b"]}

    assert sample_variables(spec, seed=1, record_index=0)["a"] == sample_variables(renamed, seed=1, record_index=0)["a"]


def test_variables_with_the_same_sampler_get_independent_values():
    spec = {
        "a": {"sampler": "int_range", "min": 1, "max": 10**9},
        "b": {"sampler": "int_range", "min": 1, "max": 10**9},
    }

    records = _sample_many(spec, seed=1, count=100)

    assert all(record["a"] != record["b"] for record in records)


def test_the_seed_changes_every_variable_except_those_driven_by_the_record_index():
    sampler = VariableSampler(EVERY_SAMPLER, CONTEXT)

    first = [sampler.sample(1, index) for index in range(20)]
    second = [sampler.sample(2, index) for index in range(20)]

    unchanged = {name for name in EVERY_SAMPLER if [r[name] for r in first] == [r[name] for r in second]}
    assert unchanged == {"list_cycle", "subchapter"}


def test_sample_variables_passes_its_context_to_the_samplers():
    spec = {"topic": {"sampler": "subchapter"}}

    sampled = sample_variables(spec, seed=1, record_index=1, context=SamplingContext(subchapter_keys=("b", "a")))

    assert sampled == {"topic": "b"}


def test_template_variables_are_evaluated_after_the_variables_they_use_whatever_their_names():
    spec = {
        "a_doubled_sum": {"sampler": "template", "expression": "m_sum * 2"},
        "m_sum": {"sampler": "template", "expression": "z_left + z_right"},
        "z_left": {"sampler": "int_range", "min": 1, "max": 9},
        "z_right": {"sampler": "int_range", "min": 1, "max": 9},
    }
    sampler = VariableSampler(spec)

    sampled = sampler.sample(1, 0)

    assert sampler.order == ["z_left", "z_right", "m_sum", "a_doubled_sum"]
    assert sampled["a_doubled_sum"] == 2 * (sampled["z_left"] + sampled["z_right"])


def test_a_cycle_of_template_variables_is_refused_naming_the_variables():
    spec = {
        "a": {"sampler": "template", "expression": "b + 1"},
        "b": {"sampler": "template", "expression": "c + 1"},
        "c": {"sampler": "template", "expression": "a + 1"},
    }

    with pytest.raises(SpecError) as excinfo:
        VariableSampler(spec)

    assert excinfo.value.problems == ["cycle between variables: a -> b -> c -> a"]


DIFFICULTY_STYLES = {
    "difficulty": {"sampler": "choice", "values": ["easy", "hard"]},
    "style": {
        "sampler": "choice",
        "values": {"by": "difficulty", "cases": {"easy": ["short", "plain"], "hard": ["proof", "derivation"]}},
    },
}


def test_a_parameter_takes_the_case_named_by_another_variables_value():
    records = _sample_many(DIFFICULTY_STYLES, seed=2, count=500)

    pairs = {(record["difficulty"], record["style"]) for record in records}
    assert pairs == {("easy", "short"), ("easy", "plain"), ("hard", "proof"), ("hard", "derivation")}


def test_a_dependent_parameter_uses_its_default_when_no_case_matches():
    spec = {
        "level": {"sampler": "int_range", "min": 1, "max": 3},
        "bonus": {"sampler": "int_range", "min": 0, "max": {"by": "level", "cases": {"1": 0}, "default": 100}},
    }

    records = _sample_many(spec, seed=2, count=300)

    assert {record["bonus"] for record in records if record["level"] == 1} == {0}
    assert len({record["bonus"] for record in records if record["level"] != 1}) > 10


def test_a_parameter_depending_on_a_boolean_names_its_cases_true_and_false():
    spec = {
        "tricky": {"sampler": "bernoulli", "p": 0.5},
        "hint": {"sampler": "choice", "values": {"by": "tricky", "cases": {"true": ["careful"], "false": ["easy"]}}},
    }

    records = _sample_many(spec, seed=2, count=100)

    assert all(record["hint"] == ("careful" if record["tricky"] else "easy") for record in records)


def test_several_parameters_can_depend_on_the_same_variable():
    spec = {
        "size": {"sampler": "choice", "values": ["small", "large"]},
        "n": {
            "sampler": "int_range",
            "min": {"by": "size", "cases": {"small": 1, "large": 1000}},
            "max": {"by": "size", "cases": {"small": 9, "large": 9999}},
        },
    }

    records = _sample_many(spec, seed=2, count=200)

    assert all((record["n"] < 10) == (record["size"] == "small") for record in records)


def test_a_dependent_parameter_is_sampled_after_the_variable_it_depends_on():
    spec = {
        "a_style": {"sampler": "choice", "values": {"by": "z_level", "cases": {"1": ["one"], "2": ["two"]}}},
        "z_level": {"sampler": "int_range", "min": 1, "max": 2},
    }

    assert VariableSampler(spec).order == ["z_level", "a_style"]


def test_a_record_whose_value_has_no_case_fails_naming_the_variable_and_value():
    spec = {
        "n": {"sampler": "int_range", "min": 1, "max": 1},
        "word": {"sampler": "template", "expression": "'x' ~ n"},
        "pick": {"sampler": "choice", "values": {"by": "word", "cases": {"x2": ["a"]}}},
    }

    with pytest.raises(SamplingError) as excinfo:
        VariableSampler(spec).sample(1, 0)

    assert str(excinfo.value) == "pick: values: no case for word = 'x1' and no default"
    assert excinfo.value.variables == {"n": 1, "word": "x1"}


def test_a_cycle_through_dependent_parameters_is_refused():
    spec = {
        "a": {"sampler": "choice", "values": {"by": "b", "cases": {"1": [1]}, "default": [2]}},
        "b": {"sampler": "choice", "values": {"by": "a", "cases": {"1": [1]}, "default": [2]}},
    }

    with pytest.raises(SpecError, match=r"^cycle between variables: a -> b -> a$"):
        VariableSampler(spec)


def test_an_invalid_spec_cannot_be_sampled():
    with pytest.raises(SpecError, match=r"^b: min \(5\) is greater than max \(1\)$"):
        sample_variables({"b": {"sampler": "int_range", "min": 5, "max": 1}}, seed=1, record_index=0)
