"""jobs: idempotent triggering, the result contract, cancel, and the rejected records."""

import pytest
from django.contrib.auth.models import Permission

from jobs_app.models import GenerationJob, RejectedArtifact
from jobs_app.services import JobRequest, job_trigger
from tests.factories import TemplateVersionFactory

JOBS = "/api/v1/jobs/"


@pytest.fixture
def contract(approved_version):
    def make(**fields) -> dict:
        return {
            "template_version": approved_version.pk,
            "tenant_id": "acme",
            "record_count": 20,
            "target_surface": "training",
            "seed": 1,
            **fields,
        }

    return make


def test_create_triggers_a_job_and_answers_201_with_the_contract(api, operator, contract, approved_version):
    response = api(operator).post(JOBS, contract(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert (body["template"], body["template_revision"]) == (approved_version.template.key, approved_version.version)
    assert body["progress"] == {"done": 0, "total": 20}
    assert (body["accepted_records"], body["rejected_records"], body["duplicate_records"]) == (0, 0, 0)
    assert body["created_by"] == "operator"
    assert GenerationJob.objects.get(pk=body["job_id"]).chapter_key == approved_version.template.chapter.key


def test_create_resolves_a_template_key_and_revision(api, operator, contract, approved_version):
    request = contract(template=approved_version.template.key, template_revision=approved_version.version)
    del request["template_version"]

    response = api(operator).post(JOBS, request, format="json")

    assert response.status_code == 201
    assert response.json()["template_version"] == approved_version.pk


def test_create_with_a_template_key_alone_uses_its_current_version(api, operator, contract, approved_version):
    request = contract(template=approved_version.template.key)
    del request["template_version"]

    response = api(operator).post(JOBS, request, format="json")

    assert response.json()["template_version"] == approved_version.pk


def test_an_unknown_template_key_answers_400_naming_template(api, operator, contract):
    request = contract(template="no-such-template", template_revision=1)
    del request["template_version"]

    response = api(operator).post(JOBS, request, format="json")

    assert response.status_code == 400
    assert response.json()["template"] == ["No template has the key 'no-such-template'."]


def test_an_unknown_revision_answers_400_naming_template_revision(api, operator, contract, approved_version):
    key = approved_version.template.key
    request = contract(template=key, template_revision=99)
    del request["template_version"]

    response = api(operator).post(JOBS, request, format="json")

    assert response.status_code == 400
    assert response.json()["template_revision"] == [
        f"Template '{key}' has no version 99. List them at /api/v1/template-versions/?template_key={key}."
    ]


def test_a_request_without_a_version_answers_400_naming_template_version(api, operator, contract):
    request = contract()
    del request["template_version"]

    response = api(operator).post(JOBS, request, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "template_version"]


def test_a_wrongly_typed_field_answers_400_naming_it(api, operator, contract):
    response = api(operator).post(JOBS, contract(record_count="many"), format="json")

    assert response.status_code == 400
    assert response.json()["record_count"] == ["A valid integer is required."]


def test_the_services_contract_checks_reach_the_client_naming_the_field(api, operator, contract):
    response = api(operator).post(JOBS, contract(chapter_key="geography"), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["chapter_key"] == [body["detail"]]
    assert "Chapter key (chapter_key) 'geography' does not match" in body["detail"]


def test_a_production_job_on_a_draft_answers_409(api, operator, contract, author):
    draft = TemplateVersionFactory(author=author)

    response = api(operator).post(JOBS, contract(template_version=draft.pk), format="json")

    assert response.status_code == 409
    assert "production jobs need an approved version" in response.json()["detail"]


def test_triggering_needs_the_trigger_permission(api, reviewer, contract):
    response = api(reviewer).post(JOBS, contract(), format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Triggering a job needs the 'jobs_app.trigger_generationjob' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_the_same_idempotency_key_and_request_returns_the_same_job_with_200(api, operator, contract):
    client = api(operator)

    first = client.post(JOBS, contract(), format="json", HTTP_IDEMPOTENCY_KEY="nightly-1")
    again = client.post(JOBS, contract(), format="json", HTTP_IDEMPOTENCY_KEY="nightly-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["job_id"] == first.json()["job_id"]
    assert GenerationJob.objects.count() == 1


def test_the_same_idempotency_key_with_another_request_answers_409_naming_the_key(api, operator, contract):
    client = api(operator)
    first = client.post(JOBS, contract(), format="json", HTTP_IDEMPOTENCY_KEY="nightly-1")

    response = client.post(JOBS, contract(record_count=21), format="json", HTTP_IDEMPOTENCY_KEY="nightly-1")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Idempotency key 'nightly-1' was already used for a different request (job {first.json()['job_id']}); "
        "use a new key for a new request."
    )


def test_the_idempotency_key_may_come_in_the_body(api, operator, contract):
    client = api(operator)

    first = client.post(JOBS, contract(idempotency_key="k-1"), format="json")
    again = client.post(JOBS, contract(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["idempotency_key"] == "k-1"


def test_a_header_and_body_key_that_differ_answer_400(api, operator, contract):
    response = api(operator).post(JOBS, contract(idempotency_key="a"), format="json", HTTP_IDEMPOTENCY_KEY="b")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "idempotency_key"]


def test_retrieve_shows_the_result_contract(api, api_client_user, pending_job):
    response = api(api_client_user).get(f"{JOBS}{pending_job.pk}/")

    assert response.status_code == 200
    assert {"job_id", "status", "progress", "output_manifest", "lineage", "error", "created_at", "finished_at"} <= set(
        response.json()
    )


def test_the_jobs_list_costs_the_same_queries_for_one_job_or_many(
    api, operator, approved_version, django_assert_num_queries
):
    client = api(operator)
    client.get(JOBS)  # loads the user's permissions once
    requests = [
        JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=5, target_surface="training", seed=seed
        )
        for seed in range(11)
    ]
    job_trigger(request=requests[0], acting_user=operator)
    # A page: the count and the rows, with template, version and users joined in.
    with django_assert_num_queries(2):
        assert len(client.get(JOBS).json()["results"]) == 1
    for request in requests[1:]:
        job_trigger(request=request, acting_user=operator)
    with django_assert_num_queries(2):
        assert len(client.get(JOBS).json()["results"]) == 11


def test_cancel_cancels_a_pending_job(api, operator, pending_job):
    response = api(operator).post(f"{JOBS}{pending_job.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_by"] == "operator"


def test_cancel_of_a_finished_job_answers_409(api, operator, pending_job):
    client = api(operator)
    client.post(f"{JOBS}{pending_job.pk}/cancel/")

    response = client.post(f"{JOBS}{pending_job.pk}/cancel/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Job {pending_job.pk} is cancelled; only pending or running jobs can be cancelled."
    }


def test_cancel_needs_the_cancel_permission(api, viewer, pending_job):
    response = api(viewer).post(f"{JOBS}{pending_job.pk}/cancel/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Cancelling a job needs the 'jobs_app.cancel_generationjob' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_an_unknown_job_answers_404(api, operator):
    assert api(operator).post(f"{JOBS}999999/cancel/").status_code == 404


def test_rejected_lists_the_jobs_rejected_records_page_by_page(api, operator, pending_job):
    RejectedArtifact.objects.bulk_create(
        RejectedArtifact(job=pending_job, record_index=index, payload={"answer": "x"}, reasons=[{"code": "schema"}])
        for index in range(3)
    )
    client = api(operator)

    first = client.get(f"{JOBS}{pending_job.pk}/rejected/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["record_index"] for row in first["results"] + second["results"]] == [0, 1, 2]
    assert second["next"] is None


def test_rejected_needs_the_view_permission_of_rejected_records(api, nobody, pending_job):
    nobody.user_permissions.add(Permission.objects.get(codename="view_generationjob"))

    response = api(nobody).get(f"{JOBS}{pending_job.pk}/rejected/")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("This needs the 'jobs_app.view_rejectedartifact' permission;")


def test_a_triggered_job_runs_and_its_pairs_are_listed_by_job(
    api, operator, contract, django_capture_on_commit_callbacks
):
    client = api(operator)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(JOBS, contract(record_count=5), format="json").json()["job_id"]

    job = client.get(f"{JOBS}{job_id}/").json()
    pairs = client.get("/api/v1/qa-pairs/", {"job": job_id}).json()["results"]

    assert (job["status"], job["progress"]) == ("succeeded", {"done": 5, "total": 5})
    assert len(pairs) == job["accepted_records"] > 0
    assert {pair["lineage"]["seed"] for pair in pairs} == {1}
