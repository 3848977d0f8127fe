"""Input that would reach outside the system is refused over the API with a 400 naming the field."""

import pytest

from jobs_app.models import RejectedArtifact
from qa_app.models import QAPair
from synthgov.text_limits import TEXT_TOO_LONG
from templates_app.models import TemplateVersion
from tests.factories import PromptTemplateFactory, QAPairFactory

VERSIONS = "/api/v1/template-versions/"
PAIRS = "/api/v1/qa-pairs/"
ARTIFACTS = "/api/v1/rejected-artifacts/"
CAP = 40
OVER_THE_CAP = "x" * (CAP + 1)
LOCAL_FILE = "file:///etc/passwd"


def test_api_create_with_a_remote_ref_answers_400_on_output_schema(api, author):
    template = PromptTemplateFactory()
    body = {
        "template": template.pk,
        "question_template": "What is {{ a }} plus {{ b }}?",
        "answer_template": "{{ a + b }}",
        "variables": {name: {"sampler": "int_range", "min": 1, "max": 9} for name in ("a", "b")},
        "output_schema": {"$ref": LOCAL_FILE},
    }

    response = api(author).post(VERSIONS, body, format="json")

    assert response.status_code == 400
    (problem,) = response.json()["output_schema"]
    assert LOCAL_FILE in problem
    assert not TemplateVersion.objects.filter(template=template).exists()


@pytest.fixture
def text_cap(settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = CAP


def test_create_pair_with_an_answer_over_the_cap_answers_400_naming_it(api, reviewer, text_cap):
    response = api(reviewer).post(PAIRS, {"question": "Q?", "answer": OVER_THE_CAP, "tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert response.json()["answer"] == [TEXT_TOO_LONG.format(field="answer", length=CAP + 1, limit=CAP)]
    assert not QAPair.objects.exists()


def test_create_pair_with_a_nul_in_the_question_answers_400_naming_it(api, reviewer):
    response = api(reviewer).post(PAIRS, {"question": "Q\u0000?", "answer": "A.", "tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert "question" in response.json()


def test_edit_pair_with_a_context_over_the_cap_answers_400_naming_it(api, reviewer, text_cap):
    pair = QAPairFactory()

    response = api(reviewer).patch(f"{PAIRS}{pair.pk}/", {"context": OVER_THE_CAP}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "context"]
    pair.refresh_from_db()
    assert pair.context != OVER_THE_CAP


def test_promote_with_a_question_over_the_cap_answers_400_naming_it(api, reviewer, pending_job, text_cap):
    artifact = RejectedArtifact.objects.create(
        job=pending_job, record_index=0, payload={"question": "Q?", "answer": "four!"}, reasons=[]
    )

    response = api(reviewer).post(
        f"{ARTIFACTS}{artifact.pk}/promote/", {"question": OVER_THE_CAP, "answer": "4"}, format="json"
    )

    assert response.status_code == 400
    assert "question" in response.json()


@pytest.mark.parametrize("job", ["-1.7976931348623155e+308", str(2**63), "0", "1.5", "x"])
def test_the_rejected_artifacts_job_filter_answers_400_for_what_is_not_a_row_id(api, reviewer, job):
    response = api(reviewer).get(ARTIFACTS, {"job": job})

    assert response.status_code == 400
    assert "job" in response.json()


def test_the_rejected_artifacts_job_filter_takes_a_row_id(api, reviewer, pending_job):
    response = api(reviewer).get(ARTIFACTS, {"job": str(pending_job.pk)})

    assert response.status_code == 200
