"""The job page's Resume button: shown to who may resume a failed or cancelled job, and it resumes it."""

import pytest
from django.urls import reverse

from jobs_app.models import GenerationJob


@pytest.fixture
def failed_job(approved_version):
    return GenerationJob.objects.create(
        template_version=approved_version,
        chapter_key="arithmetic",
        tenant_id="acme",
        record_count=10,
        target_surface="training",
        status=GenerationJob.Status.FAILED,
        error="RuntimeError: boom",
    )


def resume_url(job) -> str:
    return reverse("admin:jobs_app_generationjob_object_action", args=[job.pk, "resume"])


def job_page(client, job):
    return client.get(reverse("admin:jobs_app_generationjob_change", args=[job.pk]))


def test_the_resume_button_is_shown_on_a_failed_job_to_an_operator(client, operator, failed_job):
    client.force_login(operator)

    assert resume_url(failed_job).encode() in job_page(client, failed_job).content


def test_the_resume_button_is_not_shown_to_who_may_not_resume(client, reviewer, failed_job):
    client.force_login(reviewer)

    assert resume_url(failed_job).encode() not in job_page(client, failed_job).content


def test_the_resume_button_is_not_shown_on_a_pending_job(client, operator, failed_job):
    GenerationJob.objects.filter(pk=failed_job.pk).update(status=GenerationJob.Status.PENDING)
    client.force_login(operator)

    assert resume_url(failed_job).encode() not in job_page(client, failed_job).content


def test_the_resume_button_resumes_the_job(client, operator, failed_job):
    client.force_login(operator)

    response = client.post(resume_url(failed_job), follow=True)

    failed_job.refresh_from_db()
    assert failed_job.status == GenerationJob.Status.PENDING
    assert f"Resumed job {failed_job.pk}: 10 record(s) still to generate." in [
        str(message) for message in response.context["messages"]
    ]
