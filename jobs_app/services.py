import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm
from django_q.tasks import async_task

from qa_app.models import QAPair
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from templates_app.models import TemplateVersion

from .generators import GENERATORS
from .models import GenerationJob, RejectedArtifact, TargetSurface
from .pipeline import BatchProcessor

logger = logging.getLogger(__name__)

TRIGGER_PERMISSION = "jobs_app.trigger_generationjob"


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks for; the fingerprint of these fields decides idempotency."""

    template_version: TemplateVersion
    tenant_id: str
    record_count: int
    target_surface: str
    seed: int = 0
    locale: str = "en"
    production: bool = True
    generator: str = "template"
    generator_config: dict | None = None
    idempotency_key: str = ""

    def fingerprint(self) -> str:
        canonical = {
            "template_version": self.template_version.pk,
            "tenant_id": self.tenant_id,
            "record_count": self.record_count,
            "target_surface": self.target_surface,
            "seed": self.seed,
            "locale": self.locale,
            "production": self.production,
            "generator": self.generator,
            "generator_config": self.generator_config or {},
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _validate_request(request: JobRequest) -> None:
    version = request.template_version
    maximum = settings.SYNTHGOV_MAX_RECORD_COUNT
    if not 1 <= request.record_count <= maximum:
        raise InvalidInput(f"record_count must be between 1 and {maximum:,}; got {request.record_count}.")
    if request.target_surface not in TargetSurface.values:
        raise InvalidInput(
            f"target_surface must be one of {', '.join(TargetSurface.values)}; got {request.target_surface!r}."
        )
    if request.generator not in GENERATORS:
        raise InvalidInput(f"Unknown generator {request.generator!r}; available: {', '.join(sorted(GENERATORS))}.")
    if not request.tenant_id.strip():
        raise InvalidInput("tenant_id is required.")
    if version.status == TemplateVersion.Status.ARCHIVED:
        raise TransitionRefused(f"{version} is archived; jobs need an approved version (or a draft for a preview).")
    if request.production and version.status != TemplateVersion.Status.APPROVED:
        raise TransitionRefused(
            f"{version} is a draft; production jobs need an approved version. "
            "Publish it first, or run a non-production preview."
        )


def _job_lineage(version: TemplateVersion, generator: str) -> dict:
    template = version.template
    return {
        "template": template.key,
        "template_version": version.version,
        "template_version_id": version.pk,
        "template_content_sha256": version.content_sha256,
        "chapter": template.chapter.key,
        "subchapter": template.subchapter.key if template.subchapter_id else "",
        "generator": generator,
    }


def job_trigger(*, request: JobRequest, acting_user) -> tuple[GenerationJob, bool]:
    """Create a job and queue it; with a known idempotency key, return the existing job.

    Returns (job, created).
    """
    if not acting_user.has_perm(TRIGGER_PERMISSION):
        raise PermissionRefused("Triggering a job needs the 'trigger generation job' permission.")
    _validate_request(request)
    fingerprint = request.fingerprint()
    if request.idempotency_key:
        existing = _job_for_idempotency_key(request, fingerprint)
        if existing:
            return existing, False
    version = request.template_version
    template = version.template
    try:
        with transaction.atomic():
            job = GenerationJob(
                template_version=version,
                chapter_key=template.chapter.key,
                subchapter_key=template.subchapter.key if template.subchapter_id else "",
                tenant_id=request.tenant_id,
                locale=request.locale,
                record_count=request.record_count,
                target_surface=request.target_surface,
                seed=request.seed,
                generator=request.generator,
                generator_config=request.generator_config or {},
                production=request.production,
                idempotency_key=request.idempotency_key,
                request_fingerprint=fingerprint,
                lineage={**_job_lineage(version, request.generator), "seed": request.seed},
                created_by=acting_user,
            )
            job.save()
            transaction.on_commit(lambda job_id=job.pk: job_enqueue(job_id=job_id))
    except IntegrityError:
        # Another request with the same key won the race; answer as it would have.
        existing = _job_for_idempotency_key(request, fingerprint)
        if existing:
            return existing, False
        raise
    return job, True


def _job_for_idempotency_key(request: JobRequest, fingerprint: str) -> GenerationJob | None:
    existing = GenerationJob.objects.filter(
        tenant_id=request.tenant_id, idempotency_key=request.idempotency_key
    ).first()
    if existing and existing.request_fingerprint != fingerprint:
        raise TransitionRefused(
            f"Idempotency key {request.idempotency_key!r} was already used for a different request "
            f"(job {existing.pk}); use a new key for a new request."
        )
    return existing


def job_enqueue(*, job_id: int) -> None:
    async_task("jobs_app.tasks.run_generation_job", job_id, task_name=f"generation-job-{job_id}", group="generation")


@transaction.atomic
def job_cancel(*, job: GenerationJob, acting_user) -> GenerationJob:
    """Cancel a pending or running job; a running one stops before its next batch."""
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if not can_proceed(job.cancel):
        raise TransitionRefused(f"Job {job.pk} is {job.status}; only pending or running jobs can be cancelled.")
    if not has_transition_perm(job.cancel, acting_user):
        raise PermissionRefused("Cancelling needs the 'cancel generation job' permission.")
    job.cancel(by=acting_user, at=timezone.now())
    job.save(update_fields=["status", "cancelled_by", "finished_at"])
    return job


def job_run(*, job_id: int) -> GenerationJob:
    """Run (or resume) a job batch by batch; each batch commits with its progress."""
    job = GenerationJob.objects.select_related("template_version__template").get(pk=job_id)
    if job.is_finished:
        return job
    if job.status == GenerationJob.Status.PENDING:
        try:
            job.start(at=timezone.now())
            job.save()
        except ConcurrentTransition:
            return GenerationJob.objects.get(pk=job_id)
    try:
        processor = BatchProcessor(job, GENERATORS[job.generator](job.template_version, job.generator_config))
        batch_size = settings.SYNTHGOV_GENERATION_BATCH_SIZE
        start = job.processed_records
        while start < job.record_count:
            stop = min(start + batch_size, job.record_count)
            with transaction.atomic():
                outcome = processor.process(start, stop)
                still_running = GenerationJob.objects.filter(pk=job.pk, status=GenerationJob.Status.RUNNING).update(
                    processed_records=F("processed_records") + (stop - start),
                    accepted_records=F("accepted_records") + outcome.accepted,
                    rejected_records=F("rejected_records") + outcome.rejected,
                    duplicate_records=F("duplicate_records") + outcome.duplicates,
                    heartbeat_at=timezone.now(),
                )
                if not still_running:
                    # Cancelled (or failed) meanwhile: drop this batch, keep what was committed.
                    transaction.set_rollback(True)
                    break
            start = stop
        return _job_finish(job)
    except Exception as exc:
        logger.exception("Generation job %s failed", job_id)
        return _job_fail(job, f"{type(exc).__name__}: {exc}")


def _job_finish(job: GenerationJob) -> GenerationJob:
    job.refresh_from_db()
    if job.status != GenerationJob.Status.RUNNING:
        return job
    try:
        with transaction.atomic():
            job.succeed(at=timezone.now(), manifest=job_output_manifest(job))
            job.save()
    except ConcurrentTransition:
        job.refresh_from_db()
    return job


def _job_fail(job: GenerationJob, error: str) -> GenerationJob:
    job.refresh_from_db()
    if job.is_finished:
        return job
    try:
        with transaction.atomic():
            job.fail(at=timezone.now(), error=error)
            job.save()
    except ConcurrentTransition:
        job.refresh_from_db()
    return job


def job_output_manifest(job: GenerationJob) -> dict:
    rejection_reasons = Counter()
    for reasons in RejectedArtifact.objects.filter(job=job).values_list("reasons", flat=True).iterator():
        rejection_reasons.update({reason["code"] for reason in reasons})
    accepted_ids = hashlib.sha256()
    for pair_id in QAPair.objects.filter(job=job).order_by("record_index").values_list("id", flat=True).iterator():
        accepted_ids.update(f"{pair_id}\n".encode())
    return {
        "record_count": job.record_count,
        "accepted": job.accepted_records,
        "rejected": job.rejected_records,
        "duplicates": job.duplicate_records,
        "rejection_reasons": dict(sorted(rejection_reasons.items())),
        "template_content_sha256": job.template_version.content_sha256,
        "generator": job.generator,
        "generator_config": job.generator_config,
        "accepted_ids_sha256": accepted_ids.hexdigest(),
    }
