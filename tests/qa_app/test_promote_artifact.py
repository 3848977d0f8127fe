"""A reviewer promotes a rejected artifact, after editing it, to a pending synthetic pair."""

import pytest

from jobs_app.services import PROMOTION_PERMISSION_MISSING, rejected_artifact_promote
from qa_app.models import QAPair
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from tests.factories import QAPairFactory


@pytest.fixture
def artifact(rejected_artifact):
    return rejected_artifact


def promote(artifact, user, **edits):
    content = {
        "question": artifact.payload["question"],
        "answer": "The sum is " + artifact.payload["answer"],
        "context": "",
        **edits,
    }
    return rejected_artifact_promote(artifact=artifact, acting_user=user, **content)


def test_promote_creates_a_pending_synthetic_pair_with_the_edited_content(artifact, reviewer):
    pair = promote(artifact, reviewer)

    assert pair.review_status == QAPair.ReviewStatus.PENDING
    assert pair.source == QAPair.Source.SYNTHETIC
    assert pair.answer == "The sum is " + artifact.payload["answer"]
    assert (pair.tenant_id, pair.locale, pair.is_preview) == ("acme", "en", False)
    assert pair.template_version == artifact.job.template_version


def test_promote_copies_the_jobs_lineage_and_names_the_artifact(artifact, reviewer):
    pair = promote(artifact, reviewer)

    job = artifact.job
    assert pair.lineage == {
        **job.lineage,
        "job": job.pk,
        "record_index": artifact.record_index,
        "variables": artifact.payload["variables"],
        "promoted_from_artifact": artifact.pk,
    }


def test_promote_links_the_artifact_to_its_pair(artifact, reviewer):
    pair = promote(artifact, reviewer)

    artifact.refresh_from_db()
    assert artifact.promoted_pair == pair


def test_promote_records_who_promoted_in_the_pairs_history(artifact, reviewer):
    pair = promote(artifact, reviewer)

    [entry] = pair.history.all()
    assert entry.history_user == reviewer
    assert f"rejected artifact #{artifact.pk}" in entry.history_change_reason


def test_promote_scores_the_promoted_pair(artifact, reviewer):
    pair = promote(artifact, reviewer)

    assert 0 <= pair.quality_score <= 1
    assert pair.scores["completeness"] == 1.0


def test_promote_needs_the_review_permission(artifact, nobody):
    with pytest.raises(PermissionRefused) as refused:
        promote(artifact, nobody)

    assert refused.value.message == PROMOTION_PERMISSION_MISSING
    assert not QAPair.objects.filter(lineage__promoted_from_artifact=artifact.pk).exists()


def test_promote_refuses_a_second_promotion(artifact, reviewer):
    first = promote(artifact, reviewer)

    with pytest.raises(TransitionRefused) as refused:
        promote(artifact, reviewer, answer="Another edit")

    assert refused.value.http_status == 409
    assert f"QA pair #{first.pk}" in refused.value.message


def test_promote_refuses_content_an_existing_pair_holds(artifact, reviewer):
    existing = QAPairFactory(question="What is five plus five?", answer="10", tenant_id="acme")

    with pytest.raises(TransitionRefused) as refused:
        promote(artifact, reviewer, question="what is five  plus five?", answer="10")

    assert refused.value.http_status == 409
    assert f"QA pair #{existing.pk}" in refused.value.message
    artifact.refresh_from_db()
    assert artifact.promoted_pair is None


def test_promote_refuses_an_empty_answer(artifact, reviewer):
    with pytest.raises(InvalidInput) as refused:
        promote(artifact, reviewer, answer="  ")

    assert refused.value.field == "answer"


def test_a_promoted_pair_is_in_its_jobs_chapter_and_subchapter(artifact, reviewer):
    job = artifact.job

    pair = promote(artifact, reviewer)

    assert list(QAPair.objects.in_subchapter(job.chapter_key, job.subchapter_key)) == [pair]
