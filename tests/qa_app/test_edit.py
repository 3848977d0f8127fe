"""qa_pair_edit: new text goes back to review; duplicates within a tenant are refused."""

import pytest

from qa_app.models import QAPair
from qa_app.services import qa_pair_edit
from synthgov.errors import InvalidInput
from tests.factories import QAPairFactory


def test_editing_the_answer_of_an_approved_pair_sends_it_back_to_pending(approved_pair, reviewer):
    qa_pair_edit(pair=approved_pair, acting_user=reviewer, answer="Eight.")

    approved_pair.refresh_from_db()
    assert approved_pair.review_status == QAPair.ReviewStatus.PENDING
    assert approved_pair.answer == "Eight."


def test_editing_the_context_of_an_approved_pair_sends_it_back_to_pending(approved_pair, reviewer):
    qa_pair_edit(pair=approved_pair, acting_user=reviewer, context="Base ten.")

    approved_pair.refresh_from_db()
    assert approved_pair.review_status == QAPair.ReviewStatus.PENDING


def test_editing_an_approved_pair_records_who_reopened_it_and_why(approved_pair, make_user):
    editor = make_user("editor", "Reviewers")

    qa_pair_edit(pair=approved_pair, acting_user=editor, question="What is four plus four?")

    approved_pair.refresh_from_db()
    assert approved_pair.reviewed_by == editor
    assert approved_pair.review_reason == "content edited after approval"
    assert approved_pair.history.first().review_status == QAPair.ReviewStatus.PENDING


def test_editing_the_content_updates_the_content_hash(approved_pair, reviewer):
    qa_pair_edit(pair=approved_pair, acting_user=reviewer, answer="Eight.")

    approved_pair.refresh_from_db()
    assert approved_pair.content_hash == approved_pair.compute_content_hash()


def test_editing_only_the_tags_of_an_approved_pair_keeps_it_approved(approved_pair, reviewer):
    qa_pair_edit(pair=approved_pair, acting_user=reviewer, tags=["arithmetic", "easy"])

    approved_pair.refresh_from_db()
    assert approved_pair.review_status == QAPair.ReviewStatus.APPROVED
    assert approved_pair.tags == ["arithmetic", "easy"]
    assert approved_pair.reviewed_by is not None


def test_editing_the_content_of_a_pending_pair_keeps_it_pending(pending_pair, reviewer):
    qa_pair_edit(pair=pending_pair, acting_user=reviewer, answer="Five.")

    pending_pair.refresh_from_db()
    assert pending_pair.review_status == QAPair.ReviewStatus.PENDING
    assert pending_pair.answer == "Five."


def test_editing_to_the_content_of_another_pair_of_the_tenant_is_refused(
    approved_pair, pending_pair, reviewer, stored_pair
):
    before = stored_pair(approved_pair)

    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_edit(pair=approved_pair, acting_user=reviewer, question="  what IS 2 plus\n3? ", answer="5")

    assert excinfo.value.message == f"QA pair #{pending_pair.pk} of tenant 'acme' already has this content."
    assert stored_pair(approved_pair) == before


def test_editing_to_the_content_of_a_pair_of_another_tenant_is_allowed(approved_pair, reviewer):
    QAPairFactory(question="What is 2 plus 3?", answer="5", tenant_id="globex")

    qa_pair_edit(pair=approved_pair, acting_user=reviewer, question="What is 2 plus 3?", answer="5")

    approved_pair.refresh_from_db()
    assert approved_pair.question == "What is 2 plus 3?"


def test_editing_a_pair_without_changing_its_content_is_not_a_duplicate_of_itself(pending_pair, reviewer):
    qa_pair_edit(pair=pending_pair, acting_user=reviewer, question=pending_pair.question, metadata={"k": 1})

    pending_pair.refresh_from_db()
    assert pending_pair.metadata == {"k": 1}


def test_editing_only_case_or_whitespace_of_an_approved_pair_sends_it_back_to_pending(reviewer):
    pair = QAPairFactory(
        question="Fix the loop.",
        answer="for x in xs:\n    total += x\nprint(total)",
        review_status=QAPair.ReviewStatus.APPROVED,
        reviewed_by=reviewer,
    )

    qa_pair_edit(pair=pair, acting_user=reviewer, answer="for x in xs:\n    total += x\n    print(total)")

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.PENDING
