"""Split ratios of a collection and the stable assignment of members without an explicit split."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from collections_app.models import Collection, Split
from collections_app.splits import assign_split

RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}
SAMPLE = range(1, 10_001)
TOLERANCE = 0.02


def test_assign_split_is_stable_for_the_same_seed_and_pair():
    first = [assign_split(seed=7, pair_id=pair_id, ratios=RATIOS) for pair_id in range(1, 200)]
    again = [assign_split(seed=7, pair_id=pair_id, ratios=RATIOS) for pair_id in range(1, 200)]

    assert first == again


def test_assign_split_depends_on_the_seed():
    seven = [assign_split(seed=7, pair_id=pair_id, ratios=RATIOS) for pair_id in range(1, 200)]
    eight = [assign_split(seed=8, pair_id=pair_id, ratios=RATIOS) for pair_id in range(1, 200)]

    assert seven != eight


def test_assign_split_follows_the_ratios_over_many_pairs():
    counts = Counter(assign_split(seed=7, pair_id=pair_id, ratios=RATIOS) for pair_id in SAMPLE)

    for split, ratio in RATIOS.items():
        assert counts[split] / len(SAMPLE) == pytest.approx(ratio, abs=TOLERANCE)


def test_assign_split_never_chooses_a_split_with_a_zero_ratio():
    ratios = {"train": 0.7, "validation": 0.0, "test": 0.3}

    chosen = {assign_split(seed=3, pair_id=pair_id, ratios=ratios) for pair_id in SAMPLE}

    assert chosen == {Split.TRAIN, Split.TEST}


def test_assign_split_never_chooses_a_split_missing_from_the_ratios():
    chosen = {assign_split(seed=3, pair_id=pair_id, ratios={"train": 0.5, "test": 0.5}) for pair_id in SAMPLE}

    assert chosen == {Split.TRAIN, Split.TEST}


def test_assign_split_with_a_single_split_always_chooses_it():
    chosen = {assign_split(seed=3, pair_id=pair_id, ratios={"validation": 1.0}) for pair_id in SAMPLE}

    assert chosen == {Split.VALIDATION}


def test_collection_clean_accepts_ratios_that_add_up_to_one():
    Collection(
        slug="ok", name="OK", tenant_id="acme", split_ratios={"train": 0.7, "validation": 0.2, "test": 0.1}
    ).clean()


def test_collection_clean_accepts_the_default_ratios():
    Collection(slug="ok", name="OK", tenant_id="acme").clean()


def test_collection_clean_rejects_ratios_not_adding_up_to_one():
    collection = Collection(slug="c", name="C", split_ratios={"train": 0.8, "validation": 0.1, "test": 0.2})

    with pytest.raises(ValidationError) as refused:
        collection.clean()

    assert "Ratios must add up to 1" in refused.value.message_dict["split_ratios"][0]


def test_collection_clean_rejects_an_unknown_split_key():
    collection = Collection(slug="c", name="C", split_ratios={"train": 0.9, "holdout": 0.1})

    with pytest.raises(ValidationError) as refused:
        collection.clean()

    assert refused.value.message_dict["split_ratios"] == ["Use keys from train, validation, test."]


def test_collection_clean_rejects_a_negative_ratio():
    collection = Collection(slug="c", name="C", split_ratios={"train": 1.2, "test": -0.2})

    with pytest.raises(ValidationError) as refused:
        collection.clean()

    assert refused.value.message_dict["split_ratios"] == ["Ratios must be non-negative numbers."]


def test_collection_clean_rejects_an_unknown_source():
    collection = Collection(slug="c", name="C", allowed_sources=["operator", "scraped"])

    with pytest.raises(ValidationError) as refused:
        collection.clean()

    assert "allowed_sources" in refused.value.message_dict
