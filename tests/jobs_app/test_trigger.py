"""job_trigger: who may start which job on which version, and idempotent submission."""

import re

import pytest

from jobs_app.models import GenerationJob
from jobs_app.services import job_trigger
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from templates_app.services import template_version_archive
from tenants_app.services import TENANT_REQUIRED


def test_trigger_creates_a_pending_job_carrying_the_request(job_request, operator, approved_version):
    job, created = job_trigger(request=job_request(seed=42, locale="de"), acting_user=operator)

    assert created is True
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.PENDING
    assert (job.template_version, job.tenant_id, job.record_count, job.seed, job.locale) == (
        approved_version,
        "acme",
        20,
        42,
        "de",
    )
    assert job.chapter_key == approved_version.template.chapter.key
    assert job.subchapter_key == approved_version.template.subchapter.key
    assert job.lineage["template_content_sha256"] == approved_version.content_sha256
    assert job.lineage["seed"] == 42
    assert job.created_by == operator


def test_trigger_queues_the_job_only_after_commit(job_request, operator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job_trigger(request=job_request(), acting_user=operator)

    assert len(callbacks) == 1


def test_trigger_refuses_a_production_job_on_a_draft(job_request, operator, unpublished_draft):
    with pytest.raises(TransitionRefused, match="production jobs need an approved version"):
        job_trigger(request=job_request(template_version=unpublished_draft, production=True), acting_user=operator)

    assert not GenerationJob.objects.exists()


def test_trigger_allows_a_non_production_preview_on_a_draft(job_request, operator, unpublished_draft):
    job, created = job_trigger(
        request=job_request(template_version=unpublished_draft, production=False), acting_user=operator
    )

    assert created is True
    assert job.production is False
    assert job.template_version == unpublished_draft
    assert GenerationJob.objects.count() == 1


@pytest.mark.parametrize("production", [True, False], ids=["production", "preview"])
def test_trigger_refuses_an_archived_version(job_request, operator, approved_version, approver, production):
    template_version_archive(version=approved_version, acting_user=approver)

    with pytest.raises(TransitionRefused, match="is archived"):
        job_trigger(request=job_request(production=production), acting_user=operator)

    assert not GenerationJob.objects.exists()


def test_trigger_refuses_a_record_count_of_zero(job_request, operator):
    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(record_count=0), acting_user=operator)

    assert "record_count" in refused.value.message
    assert "got 0" in refused.value.message
    assert not GenerationJob.objects.exists()


def test_trigger_refuses_a_record_count_above_the_maximum(job_request, operator, settings):
    too_many = settings.SYNTHGOV_MAX_RECORD_COUNT + 1

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(record_count=too_many), acting_user=operator)

    assert "record_count" in refused.value.message
    assert f"got {too_many}" in refused.value.message
    assert not GenerationJob.objects.exists()


def test_trigger_accepts_the_maximum_record_count(job_request, operator, settings):
    settings.SYNTHGOV_MAX_RECORD_COUNT = 50

    job, created = job_trigger(request=job_request(record_count=50), acting_user=operator)

    assert created is True
    assert job.record_count == 50


def test_trigger_refuses_an_unknown_target_surface(job_request, operator):
    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(target_surface="production_db"), acting_user=operator)

    assert "target_surface" in refused.value.message
    assert "'production_db'" in refused.value.message
    assert not GenerationJob.objects.exists()


def test_trigger_refuses_an_unknown_generator(job_request, operator):
    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(generator="gpt-9000"), acting_user=operator)

    assert "Unknown generator 'gpt-9000'" in refused.value.message
    assert "template" in refused.value.message  # names what is available
    assert not GenerationJob.objects.exists()


def test_trigger_refuses_a_blank_tenant(job_request, operator):
    with pytest.raises(InvalidInput, match=re.escape(TENANT_REQUIRED)):
        job_trigger(request=job_request(tenant_id="  "), acting_user=operator)

    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize("user_fixture", ["nobody", "reviewer", "curator"])
def test_trigger_refuses_a_user_without_the_trigger_permission(job_request, request, user_fixture):
    user = request.getfixturevalue(user_fixture)

    with pytest.raises(PermissionRefused, match=r"jobs_app\.trigger_generationjob"):
        job_trigger(request=job_request(), acting_user=user)

    assert not GenerationJob.objects.exists()


def test_trigger_with_a_known_key_and_the_same_request_returns_the_same_job(job_request, operator):
    first, first_created = job_trigger(request=job_request(idempotency_key="k-1"), acting_user=operator)

    again, created = job_trigger(request=job_request(idempotency_key="k-1"), acting_user=operator)

    assert first_created is True
    assert created is False
    assert again.pk == first.pk
    assert GenerationJob.objects.count() == 1


def test_trigger_with_a_known_key_and_the_same_request_queues_nothing(
    job_request, operator, django_capture_on_commit_callbacks
):
    job_trigger(request=job_request(idempotency_key="k-1"), acting_user=operator)

    with django_capture_on_commit_callbacks() as callbacks:
        job_trigger(request=job_request(idempotency_key="k-1"), acting_user=operator)

    assert callbacks == []


def test_trigger_refuses_a_known_key_with_a_different_request(job_request, operator):
    first, _ = job_trigger(request=job_request(idempotency_key="k-1", record_count=20), acting_user=operator)

    with pytest.raises(TransitionRefused) as refused:
        job_trigger(request=job_request(idempotency_key="k-1", record_count=21), acting_user=operator)

    assert "'k-1'" in refused.value.message
    assert f"job {first.pk}" in refused.value.message
    assert GenerationJob.objects.count() == 1
    first.refresh_from_db()
    assert first.record_count == 20


def test_trigger_with_the_same_key_in_another_tenant_creates_a_separate_job(job_request, operator):
    acme, _ = job_trigger(request=job_request(idempotency_key="k-1", tenant_id="acme"), acting_user=operator)

    globex, created = job_trigger(request=job_request(idempotency_key="k-1", tenant_id="globex"), acting_user=operator)

    assert created is True
    assert globex.pk != acme.pk
    assert GenerationJob.objects.count() == 2


def test_trigger_without_a_key_creates_a_new_job_each_time(job_request, operator):
    job_trigger(request=job_request(), acting_user=operator)
    job_trigger(request=job_request(), acting_user=operator)

    assert GenerationJob.objects.count() == 2
