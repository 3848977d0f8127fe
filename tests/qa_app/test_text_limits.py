"""Question, answer and context: at most SYNTHGOV_MAX_TEXT_CHARS characters and no NUL, checked by the
services that take them (InvalidInput naming the field), the admin form, and generation (a rejected artifact).
"""

import pytest

from jobs_app.services import rejected_artifact_promote
from qa_app.admin import QAPairForm
from qa_app.models import QAPair
from qa_app.services import qa_pair_create, qa_pair_edit
from synthgov.errors import InvalidInput
from synthgov.text_limits import TEXT_HAS_NUL, TEXT_TOO_LONG

CAP = 40


@pytest.fixture
def text_cap(settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = CAP
    return CAP


def new_pair(**fields) -> QAPair:
    return QAPair(**{"question": "What is 2 plus 3?", "answer": "5", "tenant_id": "acme", **fields})


def test_the_default_cap_is_a_hundred_thousand_characters(settings):
    assert settings.SYNTHGOV_MAX_TEXT_CHARS == 100_000


@pytest.mark.parametrize("field", ["question", "answer", "context"])
def test_create_refuses_text_over_the_cap_naming_the_field(db, reviewer, text_cap, field):
    with pytest.raises(InvalidInput) as refused:
        qa_pair_create(pair=new_pair(**{field: "x" * (CAP + 1)}), acting_user=reviewer)

    assert refused.value.field == field
    assert refused.value.message == TEXT_TOO_LONG.format(field=field, length=CAP + 1, limit=CAP)
    assert not QAPair.objects.exists()


def test_create_accepts_text_of_exactly_the_cap(db, reviewer, text_cap):
    pair = qa_pair_create(pair=new_pair(answer="x" * CAP), acting_user=reviewer)

    assert pair.pk is not None


def test_create_refuses_a_megabyte_answer_under_the_default_cap(db, reviewer):
    with pytest.raises(InvalidInput) as refused:
        qa_pair_create(pair=new_pair(answer="a" * 1_000_000 + "@"), acting_user=reviewer)

    assert refused.value.field == "answer"


def test_create_refuses_a_nul_character_naming_the_field(db, reviewer):
    # PostgreSQL cannot store it in text: without the check this was a server error there.
    with pytest.raises(InvalidInput) as refused:
        qa_pair_create(pair=new_pair(question="What is\x00 2 plus 3?"), acting_user=reviewer)

    assert refused.value.field == "question"
    assert refused.value.message == TEXT_HAS_NUL.format(field="question")


def test_edit_refuses_text_over_the_cap_and_changes_nothing(reviewer, pending_pair, stored_pair, text_cap):
    before = stored_pair(pending_pair)

    with pytest.raises(InvalidInput) as refused:
        qa_pair_edit(pair=pending_pair, acting_user=reviewer, context="c" * (CAP + 1))

    assert refused.value.field == "context"
    assert stored_pair(pending_pair) == before


def test_admin_form_shows_the_cap_on_the_field(db, text_cap):
    form = QAPairForm(data={"question": "q" * (CAP + 1), "answer": "5", "tenant_id": "acme", "locale": "en"})

    assert not form.is_valid()
    assert form.errors["question"] == [TEXT_TOO_LONG.format(field="question", length=CAP + 1, limit=CAP)]


def test_promote_refuses_an_answer_over_the_cap(rejected_artifact, reviewer, text_cap):
    with pytest.raises(InvalidInput) as refused:
        rejected_artifact_promote(
            artifact=rejected_artifact, acting_user=reviewer, question="What is 5 plus 5?", answer="1" * 41, context=""
        )

    assert refused.value.field == "answer"
    assert not QAPair.objects.filter(source=QAPair.Source.SYNTHETIC, promoted_from__isnull=False).exists()
