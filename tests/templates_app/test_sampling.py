"""Seeded variable samplers: deterministic per (seed, record index), faithful to their parameters."""

from collections import Counter

from templates_app.sampling import sample_variables

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
