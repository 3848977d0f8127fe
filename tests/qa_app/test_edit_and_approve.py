"""Approve with edits: the text is corrected and approved in one step, checks run again, history keeps the original."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.services import qa_pair_approve, qa_pair_edit_and_approve
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from synthgov.text_limits import TEXT_HAS_NUL, TEXT_TOO_LONG
from tests.factories import QAPairFactory, TwoReviewerPairFactory

pytestmark = pytest.mark.django_db


def edit(pair, user, **changes):
    texts = {"question": pair.question, "answer": pair.answer, "context": pair.context, **changes}
    return qa_pair_edit_and_approve(pair=pair, acting_user=user, **texts)


def test_edit_and_approve_stores_the_new_text_and_approves(pending_pair, reviewer):
    edit(pending_pair, reviewer, answer="Five.")

    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.answer, stored.review_status, stored.reviewed_by) == ("Five.", "approved", reviewer)


def test_edit_and_approve_keeps_the_original_text_in_the_history(pending_pair, reviewer):
    edit(pending_pair, reviewer, answer="Five.")

    rows = list(pending_pair.history.order_by("history_date", "history_id"))
    assert [row.answer for row in rows] == ["5", "Five.", "Five."]
    assert [row.history_change_reason for row in rows[1:]] == ["edited in review", "approved with edits"]


def test_edit_and_approve_of_a_pair_without_history_first_records_its_stored_text(reviewer):
    pair = QAPairFactory(answer="as generated")
    pair.history.all().delete()  # generated pairs are inserted in bulk, without history rows

    edit(pair, reviewer, answer="corrected")

    answers = list(pair.history.order_by("history_date", "history_id").values_list("answer", flat=True))
    assert answers == ["as generated", "corrected", "corrected"]


def test_edit_and_approve_reports_a_flag_the_edit_raised(pending_pair, reviewer):
    result = edit(pending_pair, reviewer, answer="Write to jane.doe@example.com for the answer.")

    assert "pii_email" in result.flags_added
    assert any(flag["code"] == "pii_email" for flag in QAPair.objects.get(pk=pending_pair.pk).flags)


def test_edit_and_approve_reports_a_flag_the_edit_cleared(reviewer):
    pair = QAPairFactory(answer="Mail jane.doe@example.com")
    QAPair.objects.filter(pk=pair.pk).update(flags=[{"code": "pii_email", "field": "answer"}])
    pair.refresh_from_db()

    result = edit(pair, reviewer, answer="Ask the registrar.")

    assert result.flags_removed == ["pii_email"]


def test_edit_and_approve_scores_the_new_text(pending_pair, reviewer):
    QAPair.objects.filter(pk=pending_pair.pk).update(quality_score=None)
    pending_pair.refresh_from_db()

    result = edit(pending_pair, reviewer, answer="Five, because two plus three is five.")

    assert result.quality_after is not None
    assert QAPair.objects.get(pk=pending_pair.pk).quality_score == result.quality_after


def test_edit_and_approve_releases_the_reviewers_claim(pending_pair, reviewer):
    QAPair.objects.filter(pk=pending_pair.pk).update(
        claimed_by=reviewer, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    pending_pair.refresh_from_db()

    edit(pending_pair, reviewer, answer="Five.")

    assert QAPair.objects.get(pk=pending_pair.pk).claimed_by is None


def test_edit_and_approve_of_a_decided_pair_is_refused(approved_pair, reviewer, stored_pair):
    before = stored_pair(approved_pair)

    with pytest.raises(TransitionRefused):
        edit(approved_pair, reviewer, answer="Eight.")

    assert stored_pair(approved_pair) == before


def test_edit_and_approve_of_a_pair_another_reviewer_holds_is_refused(pending_pair, reviewer, make_user, stored_pair):
    other = make_user("second-reviewer", "Reviewers")
    QAPair.objects.filter(pk=pending_pair.pk).update(
        claimed_by=other, claimed_until=timezone.now() + timedelta(minutes=5)
    )
    before = stored_pair(pending_pair)

    with pytest.raises(TransitionRefused):
        edit(pending_pair, reviewer, answer="Five.")

    assert stored_pair(pending_pair) == before


def test_edit_and_approve_is_refused_without_the_review_permission(pending_pair, nobody, stored_pair):
    before = stored_pair(pending_pair)

    with pytest.raises(PermissionRefused):
        edit(pending_pair, nobody, answer="Five.")

    assert stored_pair(pending_pair) == before


def test_edit_and_approve_to_another_pairs_content_is_refused(pending_pair, reviewer, stored_pair):
    other = QAPairFactory(question="Another question?", answer="Another answer.")
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput, match=f"#{other.pk}"):
        edit(pending_pair, reviewer, question=other.question, answer=other.answer)

    assert stored_pair(pending_pair) == before


def test_edit_and_approve_refuses_text_over_the_cap_and_stores_nothing(pending_pair, reviewer, settings, stored_pair):
    settings.SYNTHGOV_MAX_TEXT_CHARS = 40
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput) as refused:
        edit(pending_pair, reviewer, answer="x" * 41)

    assert refused.value.message == TEXT_TOO_LONG.format(field="answer", length=41, limit=40)
    assert stored_pair(pending_pair) == before
    assert pending_pair.history.count() == 1


def test_edit_and_approve_refuses_a_nul_character_and_stores_nothing(pending_pair, reviewer, stored_pair):
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput) as refused:
        edit(pending_pair, reviewer, context="a\x00b")

    assert refused.value.message == TEXT_HAS_NUL.format(field="context")
    assert stored_pair(pending_pair) == before


def test_edit_and_approve_refuses_a_nul_in_the_note(pending_pair, reviewer, stored_pair):
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput):
        qa_pair_edit_and_approve(
            pair=pending_pair, acting_user=reviewer, question="Q?", answer="A.", context="", reason="bad\x00"
        )

    assert stored_pair(pending_pair) == before


def test_edit_and_approve_after_another_reviewers_approval_starts_a_new_round(reviewer, second):
    pair = TwoReviewerPairFactory(question="What is 2 plus 2?", answer="5")
    qa_pair_approve(pair=pair, acting_user=second)

    edit(QAPair.objects.get(pk=pair.pk), reviewer, answer="4")

    stored = QAPair.objects.get(pk=pair.pk)
    # The other reviewer approved "5": the edited "4" waits for a second decision on the new text.
    assert (stored.review_status, stored.review_round, stored.edited_by) == (QAPair.ReviewStatus.PENDING, 2, reviewer)
