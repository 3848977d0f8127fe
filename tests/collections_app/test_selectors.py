"""collections_app.selectors: the collection page's figures, coverage against targets, release diffs."""

import pytest
from django.core.exceptions import ValidationError

from collections_app.models import Release, ReleaseItem, Split
from collections_app.selectors import (
    NO_CHAPTER,
    collection_stats,
    coverage_report,
    coverage_summary,
    members_not_approved,
    previous_release,
    release_diff,
    release_diff_pair_ids,
)
from collections_app.services import collection_add_pairs
from qa_app.models import QAPair
from tests.factories import (
    ChapterFactory,
    PromptTemplateFactory,
    QAPairFactory,
    SubchapterFactory,
    TemplateVersionFactory,
)


@pytest.fixture
def versions(db):
    """arithmetic/addition, arithmetic/subtraction and geometry/angles, a template version each."""
    arithmetic = ChapterFactory()
    return {
        key: TemplateVersionFactory(template=PromptTemplateFactory(subchapter=subchapter))
        for key, subchapter in {
            "arithmetic/addition": SubchapterFactory(chapter=arithmetic, key="addition"),
            "arithmetic/subtraction": SubchapterFactory(chapter=arithmetic, key="subtraction"),
            "geometry/angles": SubchapterFactory(chapter=ChapterFactory(key="geometry", title="G"), key="angles"),
        }.items()
    }


def add(collection, curator, pairs, **options):
    collection_add_pairs(collection=collection, pairs=pairs, acting_user=curator, **options)


# Coverage --------------------------------------------------------------------------------------


def test_coverage_counts_approved_members_per_chapter_and_subchapter(collection, approved_pair, curator, versions):
    add(collection, curator, [approved_pair(template_version=versions["arithmetic/addition"]) for _ in range(3)])
    add(collection, curator, [approved_pair(template_version=versions["arithmetic/subtraction"])])
    reopened = approved_pair(template_version=versions["arithmetic/addition"])
    add(collection, curator, [reopened])
    QAPair.objects.filter(pk=reopened.pk).update(review_status=QAPair.ReviewStatus.PENDING)
    collection.coverage_targets = {"arithmetic": 10, "arithmetic/addition": 2, "geometry/angles": 5}

    report = coverage_report(collection)

    assert [(entry.key, entry.approved, entry.target, entry.missing) for entry in report] == [
        ("arithmetic", 4, 10, 6),
        ("arithmetic/addition", 3, 2, 0),
        ("geometry/angles", 0, 5, 5),
    ]


def test_coverage_counts_an_imported_member_under_the_chapter_its_import_gave_it(
    collection, approved_pair, curator, versions
):
    imported = approved_pair(source=QAPair.Source.IMPORTED, lineage={"chapter": "geometry", "subchapter": "angles"})
    add(collection, curator, [imported])
    collection.coverage_targets = {"geometry": 1, "geometry/angles": 1}

    assert coverage_summary(collection) == {
        "geometry": {"target": 1, "approved": 1, "missing": 0},
        "geometry/angles": {"target": 1, "approved": 1, "missing": 0},
    }


def test_coverage_is_one_query_whatever_the_number_of_targets(
    collection, approved_pair, curator, versions, django_assert_num_queries
):
    add(collection, curator, [approved_pair(template_version=version) for version in versions.values()])
    collection.coverage_targets = dict.fromkeys([*versions, "arithmetic", "geometry"], 1)

    with django_assert_num_queries(1):
        summary = coverage_summary(collection)

    assert summary["arithmetic"] == {"target": 1, "approved": 2, "missing": 0}


def test_a_collection_without_targets_has_an_empty_coverage_report(collection, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert coverage_report(collection) == []


def test_coverage_targets_accept_chapter_and_subchapter_keys(collection, versions):
    collection.coverage_targets = {"arithmetic": 100, "geometry/angles": 20}

    collection.full_clean()


@pytest.mark.parametrize(
    "targets",
    [
        {"algebra": 10},
        {"arithmetic/division": 10},
        {"arithmetic": 0},
        {"arithmetic": -3},
        {"arithmetic": 2.5},
        {"arithmetic": "10"},
        {"arithmetic": True},
        ["arithmetic"],
    ],
)
def test_coverage_targets_refuse_unknown_keys_and_counts_that_are_not_positive_whole_numbers(
    collection, versions, targets
):
    collection.coverage_targets = targets

    with pytest.raises(ValidationError) as refused:
        collection.full_clean()

    assert "coverage_targets" in refused.value.message_dict


# The collection page's figures ----------------------------------------------------------------


def test_stats_count_members_per_split_source_chapter_and_review_status(
    collection, approved_pair, curator, versions, django_assert_num_queries
):
    add(collection, curator, [approved_pair(template_version=versions["geometry/angles"])], split=Split.TEST)
    add(
        collection,
        curator,
        [approved_pair(source=QAPair.Source.IMPORTED) for _ in range(2)],
        split=Split.TRAIN,
        weight=2.5,
    )
    reopened = approved_pair()
    add(collection, curator, [reopened], split=Split.TRAIN)
    QAPair.objects.filter(pk=reopened.pk).update(review_status=QAPair.ReviewStatus.PENDING)

    with django_assert_num_queries(4):
        stats = collection_stats(collection)

    assert stats.per_split == {Split.TRAIN: (3, 6.0), Split.TEST: (1, 1.0)}
    assert stats.per_source == {"imported": 2, "operator": 2}
    assert stats.per_chapter == {NO_CHAPTER: 3, "geometry": 1}
    assert stats.per_review_status == {"approved": 3, "pending": 1}
    assert (stats.members, stats.not_approved) == (4, 1)
    assert list(members_not_approved(collection).values_list("qa_pair_id", flat=True)) == [reopened.pk]


def test_stats_count_members_without_a_split_under_the_split_the_hash_gives_them(collection, approved_pair, curator):
    collection.split_ratios = {"train": 1.0}
    collection.save()
    add(collection, curator, [approved_pair() for _ in range(3)])

    assert collection_stats(collection).per_split == {Split.TRAIN: (3, 3.0)}


# Release diff ---------------------------------------------------------------------------------


def make_release(collection, version: int, items: dict) -> Release:
    """A release holding `items`: {pair: (split, weight, content hash)}."""
    release = Release.objects.create(collection=collection, version=version, storage_path=f"r/{version}")
    ReleaseItem.objects.bulk_create(
        ReleaseItem(release=release, qa_pair=pair, split=split, weight=weight, content_hash=content_hash)
        for pair, (split, weight, content_hash) in items.items()
    )
    return release


@pytest.fixture
def worked_example(collection):
    """v1 -> v2: a stays, b is removed, c is added, d moves train -> test, e's weight goes 1 -> 3,
    f's content changes, g moves and changes weight."""
    a, b, c, d, e, f, g = QAPairFactory.create_batch(7)
    v1 = make_release(
        collection,
        1,
        {
            a: ("train", 1.0, "h-a"),
            b: ("train", 1.0, "h-b"),
            d: ("train", 1.0, "h-d"),
            e: ("train", 1.0, "h-e"),
            f: ("test", 1.0, "h-f"),
            g: ("train", 1.0, "h-g"),
        },
    )
    v2 = make_release(
        collection,
        2,
        {
            a: ("train", 1.0, "h-a"),
            c: ("validation", 1.0, "h-c"),
            d: ("test", 1.0, "h-d"),
            e: ("train", 3.0, "h-e"),
            f: ("test", 1.0, "h-f2"),
            g: ("validation", 2.0, "h-g"),
        },
    )
    return v1, v2, dict(zip("abcdefg", (pair.pk for pair in (a, b, c, d, e, f, g)), strict=True))


def test_release_diff_counts_each_kind_of_change(worked_example, django_assert_num_queries):
    v1, v2, _ = worked_example

    with django_assert_num_queries(3):
        diff = release_diff(v2, v1)

    assert diff.counts == {"added": 1, "removed": 1, "moved_split": 2, "changed_weight": 2, "changed_content": 1}


def test_release_diff_lists_the_pairs_of_each_kind(worked_example):
    v1, v2, ids = worked_example

    listed = {
        category: release_diff_pair_ids(v2, v1, category)
        for category in ("added", "removed", "moved_split", "changed_weight", "changed_content")
    }

    assert listed == {
        "added": [ids["c"]],
        "removed": [ids["b"]],
        "moved_split": [ids["d"], ids["g"]],
        "changed_weight": [ids["e"], ids["g"]],
        "changed_content": [ids["f"]],
    }


def test_release_diff_backwards_swaps_added_and_removed(worked_example):
    v1, v2, _ = worked_example

    assert release_diff(v1, v2).counts == {
        "added": 1,
        "removed": 1,
        "moved_split": 2,
        "changed_weight": 2,
        "changed_content": 1,
    }
    assert release_diff_pair_ids(v1, v2, "added") == release_diff_pair_ids(v2, v1, "removed")


def test_release_diff_pages_through_a_category(worked_example):
    v1, v2, ids = worked_example

    assert release_diff_pair_ids(v2, v1, "moved_split", offset=1, limit=1) == [ids["g"]]
    assert release_diff_pair_ids(v2, v1, "added", offset=1, limit=5) == []


def test_the_previous_release_is_the_next_lower_version(worked_example, collection):
    v1, v2, _ = worked_example
    v3 = make_release(collection, 3, {})

    assert previous_release(v3) == v2
    assert previous_release(v1) is None
