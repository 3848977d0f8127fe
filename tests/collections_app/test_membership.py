"""collection_add_pairs / collection_remove_pairs: who may put which pairs into a collection."""

import pytest

from collections_app.models import Collection, Membership, Split
from collections_app.services import (
    WEIGHT_MUST_BE_POSITIVE,
    AddResult,
    collection_add_pairs,
    collection_remove_pairs,
)
from qa_app.models import QAPair
from qa_app.services import qa_pair_reopen, qa_pairs_review
from synthgov.errors import InvalidInput, PermissionRefused
from tests.factories import CollectionFactory, QAPairFactory


def test_add_puts_approved_pairs_in_with_their_split_and_weight(collection, approved_pair, curator):
    pairs = [approved_pair(), approved_pair()]

    result = collection_add_pairs(collection=collection, pairs=pairs, split=Split.TEST, weight=2.5, acting_user=curator)

    assert result == AddResult(added=2, already_members=0)
    memberships = Membership.objects.filter(collection=collection).order_by("qa_pair_id")
    assert [membership.qa_pair_id for membership in memberships] == [pair.pk for pair in pairs]
    assert {(membership.split, membership.weight) for membership in memberships} == {(Split.TEST, 2.5)}


def test_add_without_a_split_leaves_it_to_automatic_assignment(collection, approved_pair, curator):
    pair = approved_pair()

    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)

    membership = Membership.objects.get(collection=collection, qa_pair=pair)
    assert (membership.split, membership.weight) == ("", 1.0)


def test_add_records_who_added_each_pair(collection, approved_pair, curator):
    pair = approved_pair()

    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)

    membership = Membership.objects.get(collection=collection, qa_pair=pair)
    assert membership.added_by == curator
    assert membership.added_at is not None


def test_add_writes_a_history_row_per_membership_with_the_curator(collection, approved_pair, curator):
    pairs = [approved_pair(), approved_pair()]

    collection_add_pairs(collection=collection, pairs=pairs, acting_user=curator)

    history = Membership.history.filter(collection_id=collection.pk)
    assert history.count() == 2
    assert {(row.history_type, row.history_user_id) for row in history} == {("+", curator.pk)}


@pytest.mark.parametrize("weight", [0, 0.0, -1, -0.5])
def test_add_refuses_a_weight_that_is_not_positive(collection, approved_pair, curator, weight):
    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=collection, pairs=[approved_pair()], weight=weight, acting_user=curator)

    assert refused.value.message == WEIGHT_MUST_BE_POSITIVE.format(weight=weight)
    assert not Membership.objects.exists()


def test_add_refuses_a_weight_that_is_not_a_number(collection, approved_pair, curator):
    with pytest.raises(InvalidInput, match="Weight must be greater than 0"):
        collection_add_pairs(collection=collection, pairs=[approved_pair()], weight=float("nan"), acting_user=curator)

    assert not Membership.objects.exists()


def test_add_refuses_an_unknown_split(collection, approved_pair, curator):
    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=collection, pairs=[approved_pair()], split="holdout", acting_user=curator)

    assert "Split must be one of train, validation, test" in refused.value.message
    assert "'holdout'" in refused.value.message
    assert not Membership.objects.exists()


@pytest.mark.parametrize("status", [QAPair.ReviewStatus.PENDING, QAPair.ReviewStatus.REJECTED])
def test_add_refuses_a_pair_that_is_not_approved_and_adds_none_of_the_others(
    collection, approved_pair, curator, status
):
    approved = approved_pair()
    unapproved = QAPairFactory(review_status=status)

    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=collection, pairs=[approved, unapproved], acting_user=curator)

    assert refused.value.message.startswith("Nothing was added: ")
    assert f"#{unapproved.pk} is {status}, not approved" in refused.value.message
    assert f"#{approved.pk}" not in refused.value.message
    assert not Membership.objects.exists()
    assert not Membership.history.exists()


def test_add_decides_on_the_stored_review_status_not_the_callers_copy(collection, approved_pair, curator, reviewer):
    pair = approved_pair()
    stale = QAPair.objects.get(pk=pair.pk)
    qa_pair_reopen(pair=pair, acting_user=reviewer, reason="second look")

    with pytest.raises(InvalidInput, match="is pending, not approved"):
        collection_add_pairs(collection=collection, pairs=[stale], acting_user=curator)

    assert not Membership.objects.exists()


def test_add_refuses_a_synthetic_pair_in_an_evaluation_collection(approved_pair, curator):
    evaluation = CollectionFactory(purpose=Collection.Purpose.EVALUATION)
    synthetic = approved_pair(source=QAPair.Source.SYNTHETIC)

    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=evaluation, pairs=[synthetic], acting_user=curator)

    assert f"#{synthetic.pk} is synthetic and '{evaluation.slug}' is an evaluation collection" in refused.value.message
    assert not Membership.objects.exists()


def test_add_allows_a_synthetic_pair_in_an_evaluation_collection_that_says_so(approved_pair, curator):
    evaluation = CollectionFactory(purpose=Collection.Purpose.EVALUATION, allow_synthetic_in_evaluation=True)
    synthetic = approved_pair(source=QAPair.Source.SYNTHETIC)

    result = collection_add_pairs(collection=evaluation, pairs=[synthetic], acting_user=curator)

    assert result.added == 1
    assert Membership.objects.filter(collection=evaluation, qa_pair=synthetic).exists()


def test_add_allows_a_person_written_pair_in_an_evaluation_collection(approved_pair, curator):
    evaluation = CollectionFactory(purpose=Collection.Purpose.EVALUATION)

    result = collection_add_pairs(collection=evaluation, pairs=[approved_pair()], acting_user=curator)

    assert result.added == 1


def test_add_refuses_a_pair_of_a_preview_job_and_adds_none_of_the_others(
    collection, approved_pair, draft_version, run_job, reviewer, curator
):
    preview = run_job(draft_version, production=False, record_count=1)
    preview_pair = QAPair.objects.get(job=preview)
    qa_pairs_review(pairs=[preview_pair], approve=True, acting_user=reviewer)

    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=collection, pairs=[approved_pair(), preview_pair], acting_user=curator)

    assert f"#{preview_pair.pk} comes from a preview job" in refused.value.message
    assert not Membership.objects.exists()


def test_add_refuses_a_source_the_collection_does_not_allow(approved_pair, curator):
    operators_only = CollectionFactory(allowed_sources=[QAPair.Source.OPERATOR])
    imported = approved_pair(source=QAPair.Source.IMPORTED)

    with pytest.raises(InvalidInput) as refused:
        collection_add_pairs(collection=operators_only, pairs=[approved_pair(), imported], acting_user=curator)

    assert f"#{imported.pk} is imported, which '{operators_only.slug}' does not allow" in refused.value.message
    assert not Membership.objects.exists()


def test_add_reports_an_existing_member_as_already_a_member_without_duplicating_it(collection, approved_pair, curator):
    member = approved_pair()
    collection_add_pairs(collection=collection, pairs=[member], split=Split.TRAIN, weight=3.0, acting_user=curator)

    result = collection_add_pairs(
        collection=collection, pairs=[member, approved_pair()], split=Split.TEST, acting_user=curator
    )

    assert result == AddResult(added=1, already_members=1)
    assert Membership.objects.filter(collection=collection).count() == 2
    kept = Membership.objects.get(collection=collection, qa_pair=member)
    assert (kept.split, kept.weight) == (Split.TRAIN, 3.0)


def test_add_the_same_pair_to_two_collections(collection, approved_pair, curator):
    pair = approved_pair()
    other = CollectionFactory()

    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)
    collection_add_pairs(collection=other, pairs=[pair], acting_user=curator)

    assert Membership.objects.filter(qa_pair=pair).count() == 2


@pytest.mark.parametrize("user_fixture", ["nobody", "reviewer", "operator"])
def test_add_refuses_a_user_without_the_add_membership_permission(collection, approved_pair, request, user_fixture):
    user = request.getfixturevalue(user_fixture)

    with pytest.raises(PermissionRefused, match=r"collections_app\.add_membership"):
        collection_add_pairs(collection=collection, pairs=[approved_pair()], acting_user=user)

    assert not Membership.objects.exists()


def test_remove_deletes_the_memberships_of_the_given_pairs(collection, approved_pair, curator):
    removed, kept = approved_pair(), approved_pair()
    collection_add_pairs(collection=collection, pairs=[removed, kept], acting_user=curator)

    deleted = collection_remove_pairs(collection=collection, pairs=[removed], acting_user=curator)

    assert deleted == 1
    assert list(Membership.objects.filter(collection=collection).values_list("qa_pair_id", flat=True)) == [kept.pk]
    assert QAPair.objects.filter(pk=removed.pk).exists()


def test_remove_leaves_the_pair_in_other_collections(collection, approved_pair, curator):
    pair = approved_pair()
    other = CollectionFactory()
    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)
    collection_add_pairs(collection=other, pairs=[pair], acting_user=curator)

    collection_remove_pairs(collection=collection, pairs=[pair], acting_user=curator)

    assert list(Membership.objects.filter(qa_pair=pair).values_list("collection_id", flat=True)) == [other.pk]


def test_remove_of_a_pair_that_is_not_a_member_deletes_nothing(collection, approved_pair, curator):
    collection_add_pairs(collection=collection, pairs=[approved_pair()], acting_user=curator)

    deleted = collection_remove_pairs(collection=collection, pairs=[approved_pair()], acting_user=curator)

    assert deleted == 0
    assert Membership.objects.filter(collection=collection).count() == 1


def test_remove_records_who_removed_each_membership_in_history(collection, approved_pair, curator):
    pair = approved_pair()
    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)

    collection_remove_pairs(collection=collection, pairs=[pair], acting_user=curator)

    removal = Membership.history.get(collection_id=collection.pk, qa_pair_id=pair.pk, history_type="-")
    assert removal.history_user == curator


def test_remove_refuses_a_user_without_the_delete_membership_permission(collection, approved_pair, curator, nobody):
    pair = approved_pair()
    collection_add_pairs(collection=collection, pairs=[pair], acting_user=curator)

    with pytest.raises(PermissionRefused, match=r"collections_app\.delete_membership"):
        collection_remove_pairs(collection=collection, pairs=[pair], acting_user=nobody)

    assert Membership.objects.filter(collection=collection, qa_pair=pair).exists()


def test_remove_takes_the_same_few_queries_however_many_pairs_go(
    collection, approved_pair, curator, django_assert_max_num_queries
):
    pairs = [approved_pair() for _ in range(30)]
    collection_add_pairs(collection=collection, pairs=pairs, acting_user=curator)

    with django_assert_max_num_queries(8):
        removed = collection_remove_pairs(collection=collection, pairs=pairs, acting_user=curator)

    assert removed == 30
    assert Membership.history.filter(collection_id=collection.pk, history_type="-").count() == 30
