"""qa_pairs_review: many decisions at once; non-pending pairs are skipped; every decision has history."""

import pytest

from qa_app.models import QAPair
from qa_app.services import (
    REJECTION_NEEDS_REASON,
    REVIEW_PERMISSION_MISSING,
    BulkReviewResult,
    qa_pairs_review,
)
from synthgov.errors import InvalidInput, PermissionRefused
from tests.factories import QAPairFactory


@pytest.fixture
def pending_pairs(db):
    return QAPairFactory.create_batch(3)


@pytest.fixture
def mixed_pairs(pending_pairs, approved_pair, rejected_pair):
    return [*pending_pairs, approved_pair, rejected_pair]


def _all_pairs():
    return QAPair.objects.order_by("pk")


def _rows():
    return list(QAPair.objects.order_by("pk").values())


def test_bulk_approve_approves_every_pending_pair(pending_pairs, reviewer):
    qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=reviewer)

    assert set(QAPair.objects.values_list("review_status", flat=True)) == {QAPair.ReviewStatus.APPROVED}


def test_bulk_approve_records_who_and_when(pending_pairs, reviewer):
    qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=reviewer)

    for pair in _all_pairs():
        assert pair.reviewed_by == reviewer
        assert pair.reviewed_at is not None


def test_bulk_review_skips_pairs_that_are_not_pending_and_reports_the_counts(mixed_pairs, reviewer):
    result = qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=reviewer)

    assert result == BulkReviewResult(decided=3, skipped=2)


def test_bulk_review_leaves_skipped_pairs_as_they_were(mixed_pairs, approved_pair, rejected_pair, reviewer):
    before = {pair.pk: QAPair.objects.values().get(pk=pair.pk) for pair in (approved_pair, rejected_pair)}

    qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=reviewer)

    assert {pk: QAPair.objects.values().get(pk=pk) for pk in before} == before


def test_bulk_review_writes_one_history_row_per_decided_pair(mixed_pairs, approved_pair, rejected_pair, reviewer):
    rows_before = {pair.pk: pair.history.count() for pair in mixed_pairs}

    qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=reviewer)

    rows_after = {pair.pk: pair.history.count() for pair in mixed_pairs}
    skipped = {approved_pair.pk, rejected_pair.pk}
    assert all(rows_after[pk] == rows_before[pk] + 1 for pk in rows_before if pk not in skipped)
    assert all(rows_after[pk] == rows_before[pk] for pk in skipped)


def test_bulk_review_history_rows_carry_the_decision_and_the_reviewer(pending_pairs, reviewer):
    qa_pairs_review(pairs=_all_pairs(), approve=False, acting_user=reviewer, reason="off topic")

    for pair in pending_pairs:
        latest = pair.history.first()
        assert latest.review_status == QAPair.ReviewStatus.REJECTED
        assert latest.history_user == reviewer
        assert latest.history_change_reason == "rejected: off topic"


@pytest.mark.parametrize("approve", [True, False])
def test_bulk_review_history_rows_hold_the_pairs_stored_state(pending_pairs, reviewer, approve):
    """History rows are written before the UPDATE, from the locked rows and the decision's values:
    each must equal the pair as stored afterwards, field by field (dates included)."""
    qa_pairs_review(pairs=_all_pairs(), approve=approve, acting_user=reviewer, reason="checked")

    tracked = [field.attname for field in QAPair.history.model.tracked_fields]
    for pair in pending_pairs:
        stored = QAPair.objects.values(*tracked).get(pk=pair.pk)
        assert pair.history.values(*tracked).first() == stored


def test_bulk_reject_rejects_every_pending_pair_with_the_reason(pending_pairs, reviewer):
    result = qa_pairs_review(pairs=_all_pairs(), approve=False, acting_user=reviewer, reason="  off topic ")

    assert result == BulkReviewResult(decided=3, skipped=0)
    assert set(QAPair.objects.values_list("review_status", "review_reason")) == {
        (QAPair.ReviewStatus.REJECTED, "off topic")
    }


@pytest.mark.parametrize("reason", ["", "  "])
def test_bulk_reject_refuses_a_blank_reason_and_changes_nothing(pending_pairs, reviewer, reason):
    before = _rows()

    with pytest.raises(InvalidInput) as excinfo:
        qa_pairs_review(pairs=_all_pairs(), approve=False, acting_user=reviewer, reason=reason)

    assert excinfo.value.message == REJECTION_NEEDS_REASON
    assert _rows() == before
    assert all(pair.history.count() == 1 for pair in pending_pairs)


def test_bulk_review_refuses_a_user_without_the_review_permission(pending_pairs, curator):
    before = _rows()

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pairs_review(pairs=_all_pairs(), approve=True, acting_user=curator)

    assert excinfo.value.message == REVIEW_PERMISSION_MISSING
    assert _rows() == before


def test_bulk_review_of_nothing_decides_nothing(db, reviewer):
    assert qa_pairs_review(pairs=[], approve=True, acting_user=reviewer) == BulkReviewResult(decided=0, skipped=0)
