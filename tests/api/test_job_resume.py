"""POST /api/v1/jobs/{id}/resume/: continue a failed or cancelled job."""

from jobs_app.models import GenerationJob
from jobs_app.services import RESUME_PERMISSION_MISSING

JOBS = "/api/v1/jobs/"


def fail(job: GenerationJob) -> GenerationJob:
    GenerationJob.objects.filter(pk=job.pk).update(status=GenerationJob.Status.FAILED, error="RuntimeError: boom")
    return job


def test_resume_of_a_failed_job_answers_200_with_the_job_pending_again(api, api_client_user, pending_job):
    response = api(api_client_user).post(f"{JOBS}{fail(pending_job).pk}/resume/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == ("pending", "")


def test_resume_of_a_job_that_is_not_failed_or_cancelled_answers_409(api, operator, pending_job):
    response = api(operator).post(f"{JOBS}{pending_job.pk}/resume/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Job {pending_job.pk} is pending; only failed or cancelled jobs can be resumed."
    )


def test_resume_without_the_permission_answers_403(api, viewer, pending_job):
    response = api(viewer).post(f"{JOBS}{fail(pending_job).pk}/resume/")

    assert response.status_code == 403
    assert response.json()["detail"] == RESUME_PERMISSION_MISSING
