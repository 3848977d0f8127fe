"""qa_pair_create: a pair typed by a person, unique by normalised content within its tenant."""

import pytest

from qa_app.models import QAPair
from qa_app.services import qa_pair_create
from synthgov.errors import InvalidInput


def _new_pair(**fields):
    return QAPair(**{"question": "What is 2 plus 3?", "answer": "5", "tenant_id": "acme", **fields})


def test_create_saves_a_pending_pair(db, reviewer):
    pair = qa_pair_create(pair=_new_pair(), acting_user=reviewer)

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.PENDING
    assert pair.content_hash == pair.compute_content_hash()


def test_create_sets_the_operator_source_even_when_asked_otherwise(db, reviewer):
    pair = qa_pair_create(pair=_new_pair(source=QAPair.Source.SYNTHETIC), acting_user=reviewer)

    pair.refresh_from_db()
    assert pair.source == QAPair.Source.OPERATOR


def test_create_writes_a_history_row(db, reviewer):
    pair = qa_pair_create(pair=_new_pair(), acting_user=reviewer)

    assert pair.history.count() == 1


def test_create_refuses_duplicate_content_in_the_same_tenant(db, reviewer):
    first = qa_pair_create(pair=_new_pair(), acting_user=reviewer)

    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_create(pair=_new_pair(question="WHAT  is 2 plus 3?\n"), acting_user=reviewer)

    assert excinfo.value.message == f"QA pair #{first.pk} of tenant 'acme' already has this content."
    assert list(QAPair.objects.values_list("pk", flat=True)) == [first.pk]


def test_create_allows_the_same_content_in_another_tenant(db, reviewer):
    qa_pair_create(pair=_new_pair(tenant_id="acme"), acting_user=reviewer)

    qa_pair_create(pair=_new_pair(tenant_id="globex"), acting_user=reviewer)

    assert sorted(QAPair.objects.values_list("tenant_id", flat=True)) == ["acme", "globex"]


def test_create_allows_the_same_question_with_another_answer(db, reviewer):
    qa_pair_create(pair=_new_pair(), acting_user=reviewer)

    qa_pair_create(pair=_new_pair(answer="five"), acting_user=reviewer)

    assert QAPair.objects.count() == 2
