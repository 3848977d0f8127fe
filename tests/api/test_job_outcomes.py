"""A job's duplicate records, and rejected artifacts promoted to pairs, over the API."""

import pytest

from jobs_app.models import DuplicateRecord, RejectedArtifact
from qa_app.models import QAPair
from tests.factories import QAPairFactory

JOBS = "/api/v1/jobs/"
ARTIFACTS = "/api/v1/rejected-artifacts/"


@pytest.fixture
def artifact(pending_job):
    return RejectedArtifact.objects.create(
        job=pending_job,
        record_index=4,
        payload={"question": "What is 2 plus 2?", "answer": "four!", "context": ""},
        reasons=[{"code": "schema", "message": "answer: 'four!' does not match '^[0-9]+$'"}],
    )


def test_duplicates_lists_each_duplicate_with_the_pair_it_duplicates(api, operator, pending_job):
    held = QAPairFactory(tenant_id=pending_job.tenant_id)
    DuplicateRecord.objects.create(job=pending_job, record_index=7, content_hash=held.content_hash, duplicate_of=held)

    response = api(operator).get(f"{JOBS}{pending_job.pk}/duplicates/")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["record_index"], row["duplicate_of"], row["content_hash"]) == (7, held.pk, held.content_hash)


def test_rejected_artifacts_are_listed_by_job(api, reviewer, artifact):
    response = api(reviewer).get(ARTIFACTS, {"job": artifact.job_id})

    assert [row["id"] for row in response.json()["results"]] == [artifact.pk]


def test_promote_makes_a_pending_pair_of_the_edited_content(api, reviewer, artifact):
    response = api(reviewer).post(
        f"{ARTIFACTS}{artifact.pk}/promote/", {"question": "What is 2 plus 2?", "answer": "4"}, format="json"
    )

    assert response.status_code == 201
    pair = QAPair.objects.get(pk=response.json()["id"])
    assert (pair.answer, pair.review_status, pair.source) == ("4", "pending", "synthetic")
    artifact.refresh_from_db()
    assert artifact.promoted_pair == pair


def test_promote_with_an_empty_answer_answers_400_naming_it(api, reviewer, artifact):
    response = api(reviewer).post(
        f"{ARTIFACTS}{artifact.pk}/promote/", {"question": "What is 2 plus 2?", "answer": " "}, format="json"
    )

    assert response.status_code == 400
    assert "answer" in response.json()


def test_promoting_twice_answers_409(api, reviewer, artifact):
    client = api(reviewer)
    client.post(f"{ARTIFACTS}{artifact.pk}/promote/", {"question": "What is 2 plus 2?", "answer": "4"}, format="json")

    response = client.post(
        f"{ARTIFACTS}{artifact.pk}/promote/", {"question": "What is 2 plus 3?", "answer": "5"}, format="json"
    )

    assert response.status_code == 409
    assert "already promoted" in response.json()["detail"]


def test_promote_needs_the_review_permission(api, operator, artifact):
    response = api(operator).post(
        f"{ARTIFACTS}{artifact.pk}/promote/", {"question": "What is 2 plus 2?", "answer": "4"}, format="json"
    )

    assert response.status_code == 403
