"""Each sampler: the type and range of what it gives, and its own rules."""

import re
import statistics
import uuid
from collections import Counter
from datetime import date, datetime

import pytest

from templates_app.sampling import FAKER_PROVIDERS, SamplingContext, SamplingError, SpecError, VariableSampler
from templates_app.sampling.fake import faker_locale


def _draws(variable, *, count=1_000, seed=1, context=None):
    sampler = VariableSampler({"x": variable}, context)
    return [sampler.sample(seed, index)["x"] for index in range(count)]


def test_choice_gives_only_its_values():
    assert set(_draws({"sampler": "choice", "values": ["a", "b", 3]})) == {"a", "b", 3}


def test_choice_weights_of_three_values_are_honoured_on_10000_draws():
    counts = Counter(_draws({"sampler": "choice", "values": ["x", "y", "z"], "weights": [6, 3, 1]}, count=10_000))

    assert abs(counts["x"] / 10_000 - 0.6) < 0.02
    assert abs(counts["y"] / 10_000 - 0.3) < 0.02
    assert abs(counts["z"] / 10_000 - 0.1) < 0.02


def test_int_range_gives_integers():
    assert all(type(value) is int for value in _draws({"sampler": "int_range", "min": 0, "max": 3}))


def test_float_range_gives_floats_within_its_bounds():
    values = _draws({"sampler": "float_range", "min": -1.5, "max": 2.5})

    assert all(isinstance(value, float) and -1.5 <= value <= 2.5 for value in values)
    assert len(set(values)) == len(values)


def test_float_range_rounds_to_the_given_digits():
    values = _draws({"sampler": "float_range", "min": 0, "max": 10, "round": 2})

    assert all(value == round(value, 2) for value in values)
    assert len(set(values)) > 500


def test_float_range_rounded_to_zero_digits_gives_integers():
    values = set(_draws({"sampler": "float_range", "min": 0.4, "max": 3.4, "round": 0}))

    assert values == {0, 1, 2, 3}
    assert all(type(value) is int for value in values)


def test_list_in_order_gives_the_value_at_the_record_index():
    assert _draws({"sampler": "list", "values": ["a", "b", "c"], "mode": "in_order"}, count=3) == ["a", "b", "c"]


def test_list_in_order_refuses_a_record_past_its_end():
    sampler = VariableSampler({"x": {"sampler": "list", "values": ["a", "b"], "mode": "in_order"}})

    with pytest.raises(SamplingError) as excinfo:
        sampler.sample(1, 2)

    assert str(excinfo.value) == (
        "x: the list has 2 values and record 2 is past its end (use mode 'cycle' to start over)"
    )


def test_list_in_order_limits_the_records_a_spec_can_serve():
    spec = {"x": {"sampler": "list", "values": [1, 2, 3], "mode": "in_order"}, "y": {"sampler": "uuid"}}

    assert VariableSampler(spec).record_limit == 3


def test_list_cycle_starts_over_after_the_last_value():
    assert _draws({"sampler": "list", "values": ["a", "b"], "mode": "cycle"}, count=5) == ["a", "b", "a", "b", "a"]


def test_list_cycles_when_no_mode_is_given():
    assert _draws({"sampler": "list", "values": [1, 2, 3]}, count=4) == [1, 2, 3, 1]


def test_list_sample_picks_every_value_about_equally_in_no_fixed_order():
    values = _draws({"sampler": "list", "values": ["a", "b"], "mode": "sample"}, count=10_000)

    assert abs(Counter(values)["a"] / 10_000 - 0.5) < 0.02
    assert values[:20] != ["a", "b"] * 10


def test_template_evaluates_its_expression_over_other_variables():
    spec = {
        "a": {"sampler": "int_range", "min": 1, "max": 100},
        "b": {"sampler": "int_range", "min": 1, "max": 100},
        "total": {"sampler": "template", "expression": "a + b"},
    }

    sampled = VariableSampler(spec).sample(3, 0)

    assert sampled["total"] == sampled["a"] + sampled["b"]


def test_template_gives_native_values_not_text():
    spec = {"n": {"sampler": "int_range", "min": 2, "max": 2}, "t": {"sampler": "template", "expression": "[n] * n"}}

    assert VariableSampler(spec).sample(1, 0)["t"] == [2, 2]


def test_template_can_use_jinja_filters():
    spec = {
        "word": {"sampler": "choice", "values": ["hello"]},
        "loud": {"sampler": "template", "expression": "word|upper"},
    }

    assert VariableSampler(spec).sample(1, 0)["loud"] == "HELLO"


def test_template_failure_fails_the_record_naming_the_variable():
    spec = {"a": {"sampler": "int_range", "min": 0, "max": 0}, "ratio": {"sampler": "template", "expression": "1 / a"}}

    with pytest.raises(SamplingError, match=r"^ratio: expression: division by zero$"):
        VariableSampler(spec).sample(1, 0)


def test_template_cannot_reach_python_internals():
    spec = {"t": {"sampler": "template", "expression": "''.__class__.__mro__"}}

    with pytest.raises(SamplingError, match=r"^t: expression: "):
        VariableSampler(spec).sample(1, 0)


def test_template_value_is_bounded_in_size(settings):
    settings.SYNTHGOV_MAX_RENDERED_CHARS = 100
    spec = {"t": {"sampler": "template", "expression": "'a' * 101"}}

    with pytest.raises(SamplingError, match=r"^t: the expression's value is 101 characters, the limit is 100$"):
        VariableSampler(spec).sample(1, 0)


EXEMPLARS = (
    {"question": "What is 1 plus 1?", "answer": "2"},
    {"question": "What is 2 plus 2?", "answer": "4"},
    {"question": "What is 3 plus 3?", "answer": "6"},
)


def test_exemplar_gives_a_field_of_one_of_the_exemplars():
    values = _draws({"sampler": "exemplar", "field": "answer"}, context=SamplingContext(exemplars=EXEMPLARS))

    assert set(values) == {"2", "4", "6"}


def test_exemplar_variables_of_a_record_read_the_same_exemplar():
    spec = {"q": {"sampler": "exemplar", "field": "question"}, "a": {"sampler": "exemplar", "field": "answer"}}
    sampler = VariableSampler(spec, SamplingContext(exemplars=EXEMPLARS))

    records = [sampler.sample(1, index) for index in range(100)]

    assert all({"question": record["q"], "answer": record["a"]} in EXEMPLARS for record in records)


def test_exemplar_without_exemplars_is_refused():
    with pytest.raises(SpecError, match=r"^x: the exemplar sampler needs the version's exemplars$"):
        VariableSampler({"x": {"sampler": "exemplar", "field": "answer"}})


SUBCHAPTERS = SamplingContext(subchapter_keys=("subtraction", "addition", "multiplication"))


def test_subchapter_cycles_through_the_subchapter_keys_sorted():
    values = _draws({"sampler": "subchapter"}, count=4, context=SUBCHAPTERS)

    assert values == ["addition", "multiplication", "subtraction", "addition"]


def test_subchapter_without_the_templates_subchapters_is_refused():
    with pytest.raises(SpecError, match=r"^x: the subchapter sampler needs the template's subchapters$"):
        VariableSampler({"x": {"sampler": "subchapter"}})


def test_subchapter_of_a_chapter_without_subchapters_is_refused():
    with pytest.raises(SpecError, match=r"^x: the template's chapter has no subchapters$"):
        VariableSampler({"x": {"sampler": "subchapter"}}, SamplingContext(subchapter_keys=()))


def test_gaussian_honours_its_mean_and_stddev_on_10000_draws():
    values = _draws({"sampler": "gaussian", "mean": 50, "stddev": 10}, count=10_000)

    assert abs(statistics.fmean(values) - 50) < 0.5
    assert abs(statistics.stdev(values) - 10) < 0.5


def test_gaussian_is_clamped_to_min_and_max():
    values = _draws({"sampler": "gaussian", "mean": 0, "stddev": 10, "min": -1, "max": 1})

    assert min(values) == -1
    assert max(values) == 1


def test_gaussian_rounds_to_the_given_digits():
    values = _draws({"sampler": "gaussian", "mean": 0, "stddev": 1, "round": 1})

    assert all(value == round(value, 1) for value in values)


def test_bernoulli_gives_true_with_probability_p_on_10000_draws():
    values = _draws({"sampler": "bernoulli", "p": 0.3}, count=10_000)

    assert {type(value) for value in values} == {bool}
    assert abs(sum(values) / 10_000 - 0.3) < 0.02


@pytest.mark.parametrize(("p", "only"), [(0, False), (1, True)])
def test_bernoulli_with_p_zero_or_one_never_varies(p, only):
    assert set(_draws({"sampler": "bernoulli", "p": p})) == {only}


@pytest.mark.parametrize("lam", [3.5, 200])
def test_poisson_gives_counts_with_mean_and_variance_lam_on_10000_draws(lam):
    values = _draws({"sampler": "poisson", "lam": lam}, count=10_000)

    assert all(type(value) is int and value >= 0 for value in values)
    assert abs(statistics.fmean(values) / lam - 1) < 0.03
    assert abs(statistics.variance(values) / lam - 1) < 0.08


def test_poisson_with_lam_zero_is_always_zero():
    assert set(_draws({"sampler": "poisson", "lam": 0})) == {0}


def test_datetime_between_dates_gives_iso_dates_in_the_range_both_ends_included():
    values = set(_draws({"sampler": "datetime", "start": "2024-02-27", "end": "2024-03-01"}))

    assert values == {"2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"}


def test_datetime_between_datetimes_gives_iso_datetimes_in_the_range():
    values = _draws({"sampler": "datetime", "start": "2024-01-01T08:00:00", "end": "2024-01-01T09:00:00"})

    moments = [datetime.fromisoformat(value) for value in values]
    assert all(datetime(2024, 1, 1, 8) <= moment <= datetime(2024, 1, 1, 9) for moment in moments)
    assert len(set(moments)) > 500


def test_datetime_keeps_the_time_zone_of_its_bounds():
    values = _draws({"sampler": "datetime", "start": "2024-01-01T00:00:00+02:00", "end": "2024-12-31T00:00:00+02:00"})

    assert all(value.endswith("+02:00") for value in values)


def test_datetime_uses_the_given_strftime_format():
    values = _draws({"sampler": "datetime", "start": "2020-01-01", "end": "2029-12-31", "format": "%d.%m.%Y"})

    assert all(re.fullmatch(r"\d\d\.\d\d\.20[2]\d", value) for value in values)
    assert all(date(2020, 1, 1) <= datetime.strptime(value, "%d.%m.%Y").date() for value in values)


def test_uuid_gives_distinct_version_4_uuids():
    values = _draws({"sampler": "uuid"})

    assert all(uuid.UUID(value).version == 4 for value in values)
    assert len(set(values)) == len(values)


def test_uuid_is_the_same_for_the_same_seed_and_record():
    assert _draws({"sampler": "uuid"}, count=5, seed=4) == _draws({"sampler": "uuid"}, count=5, seed=4)


def test_person_gives_a_full_name():
    names = _draws({"sampler": "person"}, count=50)

    assert all(isinstance(name, str) and " " in name.strip() for name in names)
    assert len(set(names)) > 40


@pytest.mark.parametrize("part", ["first", "last"])
def test_person_gives_a_single_first_or_last_name_on_request(part):
    names = _draws({"sampler": "person", "part": part}, count=50, context=SamplingContext(locale="en_US"))

    assert all(name and " " not in name for name in names)


def test_person_is_the_same_for_the_same_seed_and_record():
    context = SamplingContext(locale="de_DE")

    first = _draws({"sampler": "person"}, count=20, seed=8, context=context)

    assert first == _draws({"sampler": "person"}, count=20, seed=8, context=context)
    assert first != _draws({"sampler": "person"}, count=20, seed=9, context=context)


def test_person_honours_the_locale():
    german = set(_draws({"sampler": "person"}, count=200, context=SamplingContext(locale="de_DE")))
    american = set(_draws({"sampler": "person"}, count=200, context=SamplingContext(locale="en_US")))

    assert len(german & american) < 10


def test_faker_gives_a_value_of_the_provider():
    cities = _draws({"sampler": "faker", "provider": "city"}, count=50, context=SamplingContext(locale="fr_FR"))

    assert all(isinstance(city, str) and city for city in cities)
    assert len(set(cities)) > 10


def test_faker_is_the_same_for_the_same_seed_and_record():
    spec = {"sampler": "faker", "provider": "company"}

    assert _draws(spec, count=20, seed=5) == _draws(spec, count=20, seed=5)


def test_faker_honours_the_locale():
    spec = {"sampler": "faker", "provider": "city"}

    german = set(_draws(spec, count=100, context=SamplingContext(locale="de_DE")))
    american = set(_draws(spec, count=100, context=SamplingContext(locale="en_US")))

    assert len(german & american) < 5


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR", "ja_JP", "pt_BR"])
def test_every_whitelisted_faker_provider_gives_text_in_every_locale(locale):
    spec = {provider: {"sampler": "faker", "provider": provider} for provider in FAKER_PROVIDERS}

    sampled = VariableSampler(spec, SamplingContext(locale=locale)).sample(1, 0)

    assert all(isinstance(value, str) and value for value in sampled.values())


@pytest.mark.parametrize(
    ("locale", "faker"), [("en", "en_US"), ("de", "de_DE"), ("de-AT", "de_AT"), ("pt_BR", "pt_BR"), ("fr", "fr_FR")]
)
def test_a_job_locale_maps_to_the_faker_locale(locale, faker):
    assert faker_locale(locale) == faker


def test_a_locale_faker_does_not_know_is_refused():
    with pytest.raises(SpecError, match=r"^x: Faker has no locale for 'xx'$"):
        VariableSampler({"x": {"sampler": "person"}}, SamplingContext(locale="xx"))
