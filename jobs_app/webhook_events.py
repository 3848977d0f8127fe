"""What jobs_app announces to webhooks (webhooks_app.events) when a job reaches a final state;
called inside the transaction that makes the transition."""

from django.urls import reverse

from webhooks_app.events import JOB_CANCELLED, JOB_FAILED, JOB_SUCCEEDED, announce, api_url

from .models import GenerationJob

EVENT_OF_STATUS = {
    GenerationJob.Status.SUCCEEDED: JOB_SUCCEEDED,
    GenerationJob.Status.FAILED: JOB_FAILED,
    GenerationJob.Status.CANCELLED: JOB_CANCELLED,
}
# What of the output manifest a payload carries (the rest is one GET of the job away).
MANIFEST_SUMMARY_KEYS = (
    "record_count",
    "accepted",
    "rejected",
    "duplicates",
    "rejection_reasons",
    "template_content_sha256",
    "generator",
    "generator_usage",
    "judge_usage",
    "accepted_ids_sha256",
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def job_payload(job: GenerationJob) -> dict:
    version = job.template_version
    return {
        "object": "job",
        "id": job.pk,
        "url": api_url(reverse("generationjob-detail", args=[job.pk])),
        "status": job.status,
        "tenant_id": job.tenant_id,
        "template": version.template.key,
        "template_version": version.version,
        "template_version_id": version.pk,
        "chapter": job.chapter_key,
        "subchapter": job.subchapter_key,
        "target_surface": job.target_surface,
        "production": job.production,
        "generator": job.generator,
        "seed": job.seed,
        "idempotency_key": job.idempotency_key,
        "counts": {
            "record_count": job.record_count,
            "processed": job.processed_records,
            "accepted": job.accepted_records,
            "rejected": job.rejected_records,
            "duplicates": job.duplicate_records,
        },
        "manifest": {key: job.output_manifest[key] for key in MANIFEST_SUMMARY_KEYS if key in job.output_manifest},
        "error": job.error,
        "cancelled_by": job.cancelled_by.get_username() if job.cancelled_by_id else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def announce_finished(job: GenerationJob) -> None:
    """job.succeeded, job.failed or job.cancelled, after the job's transition was saved."""
    announce(EVENT_OF_STATUS[job.status], tenant_id=job.tenant_id, subject=f"job {job.pk}", payload=job_payload(job))
