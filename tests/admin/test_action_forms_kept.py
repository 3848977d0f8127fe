"""A change-page action whose form was open while another person changed the object (synthgov
admin_tools.ObjectActionsMixin): nothing is done, and the page says why and shows what was typed,
instead of a bare 404 or a redirect that drops it."""

import pytest
from django.urls import reverse

from jobs_app.services.artifacts import rejected_artifact_promote
from qa_app.models import QAPair
from qa_app.services import qa_pair_adjudicate, qa_pair_approve, qa_pair_reject, qa_pair_reopen
from synthgov.admin_tools import typed_in_action_form
from tests.factories import QAPairFactory, TwoReviewerPairFactory

REASON = "Too easy for an evaluation set; typed while someone else decided."


def action_url(obj, name: str, model_name: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{model_name}_object_action", args=[obj.pk, name])


def typed_of(response) -> list[tuple[str, str]]:
    return response.context["typed"]


@pytest.fixture
def disputed(db, reviewer, second):
    pair = TwoReviewerPairFactory(question="What is 3 plus 3?", answer="6")
    qa_pair_approve(pair=pair, acting_user=reviewer, reason="correct")
    qa_pair_reject(pair=pair, acting_user=second, reason="too easy")
    return pair


@pytest.fixture
def second_adjudicator(make_user):
    return make_user("second-adjudicator", "Adjudicators")


def test_a_final_rejection_of_a_pair_another_adjudicator_decided_meanwhile_keeps_the_reason(
    client, adjudicator, second_adjudicator, disputed
):
    client.force_login(adjudicator)
    qa_pair_adjudicate(pair=disputed, approve=True, acting_user=second_adjudicator)

    response = client.post(
        action_url(disputed, "adjudicate_reject", "qapairawaitingadjudication"), {"apply": "1", "reason": REASON}
    )

    assert response.status_code == 200
    assert typed_of(response) == [("reason", REASON)]
    assert "Another person may have acted on it while you typed." in response.context["refusal"]
    assert QAPair.objects.get(pk=disputed.pk).review_status == QAPair.ReviewStatus.APPROVED


def test_a_reopen_of_a_pair_reopened_meanwhile_keeps_the_reason(client, reviewer, second, db):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    client.force_login(reviewer)
    qa_pair_reopen(pair=pair, acting_user=second, reason="look again")

    response = client.post(action_url(pair, "reopen", "qapair"), {"apply": "1", "reason": REASON})

    assert response.status_code == 200
    assert typed_of(response) == [("reason", REASON)]
    assert f'readonly rows="4" cols="80">{REASON}</textarea>' in response.content.decode()


def test_a_promotion_of_an_artifact_promoted_meanwhile_keeps_the_edited_text(
    client, reviewer, second, rejected_artifact
):
    client.force_login(reviewer)
    rejected_artifact_promote(
        artifact=rejected_artifact, question="Q by the other?", answer="14", context="", acting_user=second
    )

    response = client.post(
        action_url(rejected_artifact, "promote", "rejectedartifact"),
        {"apply": "1", "question": "What is 7 plus 7, edited?", "answer": "Fourteen.", "context": ""},
    )

    assert response.status_code == 200
    assert typed_of(response) == [("question", "What is 7 plus 7, edited?"), ("answer", "Fourteen.")]


def test_a_button_without_a_form_on_a_changed_object_is_still_a_message_and_the_objects_page(client, reviewer, db):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.PENDING)
    client.force_login(reviewer)

    response = client.post(action_url(pair, "reopen", "qapair"))

    assert response.status_code == 302
    assert response.url == reverse("admin:qa_app_qapair_change", args=[pair.pk])


def test_the_kept_text_names_every_ticked_box_and_leaves_out_the_forms_plumbing(rf):
    request = rf.post(
        "/", {"apply": "1", "csrfmiddlewaretoken": "t", "formats": ["csv", "parquet"], "reason_code": "", "note": "n"}
    )

    assert typed_in_action_form(request) == [("formats", "csv, parquet"), ("note", "n")]
