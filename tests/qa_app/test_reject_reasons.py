"""Reject reasons: an admin-managed list offered on reject; a reason (chosen or typed) stays required."""

import pytest

from qa_app.models import ReviewDecision
from qa_app.services import REJECTION_NEEDS_REASON, qa_pair_reject
from qa_app.services.decisions import UNKNOWN_REJECT_REASON
from synthgov.errors import InvalidInput
from tests.factories import RejectReasonFactory


def test_reject_with_a_reason_code_records_its_label(pending_pair, reviewer):
    reason = RejectReasonFactory(code="wrong-answer", label="Wrong answer")

    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason_code="wrong-answer")

    pending_pair.refresh_from_db()
    assert pending_pair.review_reason == "Wrong answer"
    assert ReviewDecision.objects.get(pair=pending_pair).reject_reason == reason


def test_reject_with_a_reason_code_and_text_records_both(pending_pair, reviewer):
    RejectReasonFactory(code="wrong-answer", label="Wrong answer")

    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="5, not 6", reason_code="wrong-answer")

    pending_pair.refresh_from_db()
    assert pending_pair.review_reason == "Wrong answer: 5, not 6"


def test_reject_refuses_an_unknown_reason_code_naming_the_active_ones(pending_pair, reviewer, stored_pair):
    RejectReasonFactory(code="wrong-answer")
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason_code="nope")

    assert excinfo.value.message == UNKNOWN_REJECT_REASON.format(code="nope", codes="wrong-answer")
    assert excinfo.value.field == "reason_code"
    assert stored_pair(pending_pair) == before


def test_reject_refuses_an_inactive_reason_code(pending_pair, reviewer):
    RejectReasonFactory(code="retired", active=False)

    with pytest.raises(InvalidInput):
        qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason_code="retired")


def test_reject_without_code_or_text_is_refused(pending_pair, reviewer):
    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_reject(pair=pending_pair, acting_user=reviewer)

    assert excinfo.value.message == REJECTION_NEEDS_REASON
