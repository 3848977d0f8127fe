"""qa_pair_approve / qa_pair_reject / qa_pair_reopen: one decision, with who, when and why."""

import pytest

from qa_app.models import QAPair
from qa_app.services import (
    REJECTION_NEEDS_REASON,
    REOPEN_NEEDS_REASON,
    REVIEW_PERMISSION_MISSING,
    qa_pair_approve,
    qa_pair_reject,
    qa_pair_reopen,
)
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused


def test_approve_marks_the_pair_approved(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    pending_pair.refresh_from_db()
    assert pending_pair.review_status == QAPair.ReviewStatus.APPROVED


def test_approve_records_who_when_and_why(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer, reason="  checked by hand  ")

    pending_pair.refresh_from_db()
    assert pending_pair.reviewed_by == reviewer
    assert pending_pair.reviewed_at is not None
    assert pending_pair.review_reason == "checked by hand"


def test_approve_needs_no_reason(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    pending_pair.refresh_from_db()
    assert pending_pair.review_reason == ""


def test_approve_writes_a_history_row_with_the_decision(pending_pair, reviewer):
    rows_before = pending_pair.history.count()

    qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    assert pending_pair.history.count() == rows_before + 1
    latest = pending_pair.history.first()
    assert latest.review_status == QAPair.ReviewStatus.APPROVED
    assert latest.reviewed_by == reviewer
    assert latest.history_change_reason == "approved"


def test_approve_records_the_reviewer_as_the_history_user(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    assert pending_pair.history.first().history_user == reviewer


def test_reject_marks_the_pair_rejected_with_its_reason(pending_pair, reviewer):
    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="the sum is wrong")

    pending_pair.refresh_from_db()
    assert pending_pair.review_status == QAPair.ReviewStatus.REJECTED
    assert pending_pair.reviewed_by == reviewer
    assert pending_pair.reviewed_at is not None
    assert pending_pair.review_reason == "the sum is wrong"


def test_reject_writes_a_history_row_with_the_reason(pending_pair, reviewer):
    rows_before = pending_pair.history.count()

    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="the sum is wrong")

    assert pending_pair.history.count() == rows_before + 1
    latest = pending_pair.history.first()
    assert latest.review_status == QAPair.ReviewStatus.REJECTED
    assert latest.history_change_reason == "rejected: the sum is wrong"


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_reject_refuses_a_blank_reason_and_changes_nothing(pending_pair, reviewer, stored_pair, reason):
    before = stored_pair(pending_pair)
    rows_before = pending_pair.history.count()

    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason=reason)

    assert excinfo.value.message == REJECTION_NEEDS_REASON
    assert stored_pair(pending_pair) == before
    assert pending_pair.history.count() == rows_before


def test_approve_refuses_an_approved_pair(approved_pair, reviewer, stored_pair):
    before = stored_pair(approved_pair)

    with pytest.raises(TransitionRefused) as excinfo:
        qa_pair_approve(pair=approved_pair, acting_user=reviewer)

    assert excinfo.value.message == (
        f"QA pair #{approved_pair.pk} is approved; only pending pairs can be approved (reopen it first)."
    )
    assert stored_pair(approved_pair) == before


def test_approve_refuses_a_rejected_pair(rejected_pair, reviewer, stored_pair):
    before = stored_pair(rejected_pair)

    with pytest.raises(TransitionRefused, match="is rejected; only pending pairs can be approved"):
        qa_pair_approve(pair=rejected_pair, acting_user=reviewer)

    assert stored_pair(rejected_pair) == before


def test_reject_refuses_an_approved_pair(approved_pair, reviewer, stored_pair):
    before = stored_pair(approved_pair)

    with pytest.raises(TransitionRefused, match="is approved; only pending pairs can be rejected"):
        qa_pair_reject(pair=approved_pair, acting_user=reviewer, reason="changed my mind")

    assert stored_pair(approved_pair) == before


@pytest.mark.parametrize("role", [None, "Operators", "Curators", "Template authors"])
def test_approve_refuses_a_user_without_the_review_permission(pending_pair, make_user, stored_pair, role):
    user = make_user("no_reviewer", *([role] if role else []))
    before = stored_pair(pending_pair)

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_approve(pair=pending_pair, acting_user=user)

    assert excinfo.value.message == REVIEW_PERMISSION_MISSING
    assert stored_pair(pending_pair) == before


def test_reject_refuses_a_user_without_the_review_permission(pending_pair, nobody, stored_pair):
    before = stored_pair(pending_pair)

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_reject(pair=pending_pair, acting_user=nobody, reason="bad")

    assert excinfo.value.message == REVIEW_PERMISSION_MISSING
    assert stored_pair(pending_pair) == before


def test_reopen_sends_an_approved_pair_back_to_pending(approved_pair, reviewer):
    qa_pair_reopen(pair=approved_pair, acting_user=reviewer, reason="needs a second look")

    approved_pair.refresh_from_db()
    assert approved_pair.review_status == QAPair.ReviewStatus.PENDING
    assert approved_pair.review_reason == "needs a second look"


def test_reopen_sends_a_rejected_pair_back_to_pending(rejected_pair, reviewer):
    qa_pair_reopen(pair=rejected_pair, acting_user=reviewer, reason="look again")

    rejected_pair.refresh_from_db()
    assert rejected_pair.review_status == QAPair.ReviewStatus.PENDING


def test_reopen_writes_a_history_row(approved_pair, reviewer):
    rows_before = approved_pair.history.count()

    qa_pair_reopen(pair=approved_pair, acting_user=reviewer, reason="needs a second look")

    assert approved_pair.history.count() == rows_before + 1
    assert approved_pair.history.first().review_status == QAPair.ReviewStatus.PENDING


def test_reopen_refuses_a_pending_pair(pending_pair, reviewer, stored_pair):
    before = stored_pair(pending_pair)

    with pytest.raises(TransitionRefused, match=f"QA pair #{pending_pair.pk} is already pending"):
        qa_pair_reopen(pair=pending_pair, acting_user=reviewer, reason="look again")

    assert stored_pair(pending_pair) == before


def test_reopen_refuses_a_user_without_the_review_permission(approved_pair, nobody, stored_pair):
    before = stored_pair(approved_pair)

    with pytest.raises(PermissionRefused):
        qa_pair_reopen(pair=approved_pair, acting_user=nobody, reason="look again")

    assert stored_pair(approved_pair) == before


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_reopen_refuses_a_blank_reason_and_changes_nothing(approved_pair, reviewer, stored_pair, reason):
    before = stored_pair(approved_pair)

    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_reopen(pair=approved_pair, acting_user=reviewer, reason=reason)

    assert excinfo.value.message == REOPEN_NEEDS_REASON
    assert excinfo.value.field == "reason"
    assert stored_pair(approved_pair) == before


def test_a_reopened_pair_can_be_decided_again(approved_pair, reviewer):
    qa_pair_reopen(pair=approved_pair, acting_user=reviewer, reason="look again")

    qa_pair_reject(pair=approved_pair, acting_user=reviewer, reason="on reflection, too easy")

    approved_pair.refresh_from_db()
    assert approved_pair.review_status == QAPair.ReviewStatus.REJECTED
