"""Individual decisions: every decision is its own ReviewDecision row; four eyes on content."""

import pytest

from qa_app.models import QAPair, ReviewDecision
from qa_app.services import (
    _review_one,
    qa_pair_approve,
    qa_pair_create,
    qa_pair_edit,
    qa_pair_reject,
    qa_pair_reopen,
)
from qa_app.services.decisions import ALREADY_DECIDED_IN_ROUND, OWN_CONTENT_EDITED, OWN_CONTENT_WROTE
from synthgov.errors import PermissionRefused, TransitionRefused
from tests.factories import QAPairFactory, TwoReviewerPairFactory


def test_approve_writes_one_decision_row_with_who_and_why(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer, reason="checked")

    decision = ReviewDecision.objects.get(pair=pending_pair)
    assert (decision.reviewer, decision.decision, decision.reason, decision.round, decision.is_adjudication) == (
        reviewer,
        ReviewDecision.Decision.APPROVE,
        "checked",
        1,
        False,
    )


def test_reject_writes_a_reject_decision_row_with_its_reason(pending_pair, reviewer):
    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="wrong sum")

    decision = ReviewDecision.objects.get(pair=pending_pair)
    assert (decision.decision, decision.reason) == (ReviewDecision.Decision.REJECT, "wrong sum")


def test_decisions_are_never_overwritten_a_reopened_pair_keeps_its_earlier_decision(pending_pair, reviewer):
    qa_pair_approve(pair=pending_pair, acting_user=reviewer)
    qa_pair_reopen(pair=pending_pair, acting_user=reviewer, reason="second look")

    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="on reflection, wrong")

    rows = list(ReviewDecision.objects.filter(pair=pending_pair).order_by("pk").values_list("decision", "round"))
    assert rows == [("approve", 1), ("reject", 2)]


def test_a_refused_decision_writes_no_decision_row(approved_pair, reviewer):
    with pytest.raises(TransitionRefused):
        qa_pair_approve(pair=approved_pair, acting_user=reviewer)

    assert not ReviewDecision.objects.filter(pair=approved_pair).exists()


def test_approve_with_edits_records_the_text_before_and_after(pending_pair, make_user):
    editor = make_user("editor", "Reviewers")
    qa_pair_edit(pair=pending_pair, acting_user=editor, answer="Five.")

    _review_one(pending_pair, approve=True, acting_user=editor, reason="", edited=True)

    decision = ReviewDecision.objects.get(pair=pending_pair)
    assert decision.decision == ReviewDecision.Decision.APPROVE_WITH_EDITS
    assert decision.original == {"question": "What is 2 plus 3?", "answer": "5", "context": ""}
    assert decision.edited == {"question": "What is 2 plus 3?", "answer": "Five.", "context": ""}
    pending_pair.refresh_from_db()
    assert pending_pair.review_status == QAPair.ReviewStatus.APPROVED


def test_nobody_decides_a_pair_they_wrote(reviewer, stored_pair):
    pair = qa_pair_create(pair=QAPairFactory.build(tenant_id="acme"), acting_user=reviewer)
    before = stored_pair(pair)

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_approve(pair=pair, acting_user=reviewer)

    assert excinfo.value.message == OWN_CONTENT_WROTE.format(pk=pair.pk)
    assert stored_pair(pair) == before
    assert not ReviewDecision.objects.exists()


def test_nobody_decides_a_pair_they_edited(pending_pair, reviewer):
    qa_pair_edit(pair=pending_pair, acting_user=reviewer, answer="Five.")

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="bad")

    assert excinfo.value.message == OWN_CONTENT_EDITED.format(pk=pending_pair.pk)


def test_another_reviewer_decides_a_pair_someone_wrote(reviewer, make_user):
    pair = qa_pair_create(pair=QAPairFactory.build(tenant_id="acme"), acting_user=reviewer)

    qa_pair_approve(pair=pair, acting_user=make_user("second", "Reviewers"))

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.APPROVED


def test_the_four_eyes_setting_off_lets_an_author_decide_their_pair(reviewer, settings):
    settings.SYNTHGOV_FOUR_EYES = False
    pair = qa_pair_create(pair=QAPairFactory.build(tenant_id="acme"), acting_user=reviewer)

    qa_pair_approve(pair=pair, acting_user=reviewer)

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.APPROVED


def test_a_reviewer_decides_a_pair_only_once_per_round(reviewer):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)

    with pytest.raises(TransitionRefused) as excinfo:
        qa_pair_reject(pair=pair, acting_user=reviewer, reason="changed my mind")

    assert excinfo.value.message == ALREADY_DECIDED_IN_ROUND.format(pk=pair.pk)
    assert ReviewDecision.objects.filter(pair=pair).count() == 1


def test_editing_the_text_of_a_pending_pair_starts_a_new_round(reviewer, make_user):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)

    qa_pair_edit(pair=pair, acting_user=make_user("editor", "Reviewers"), answer="changed")

    pair.refresh_from_db()
    assert pair.review_round == 2
    # The first decision was on the old text: the same reviewer decides the new text afresh.
    qa_pair_approve(pair=pair, acting_user=reviewer)
    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.PENDING
