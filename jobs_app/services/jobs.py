import hashlib
import json
import logging
from dataclasses import dataclass, replace

import langcodes
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from synthgov.errors import (
    InvalidInput,
    PermissionRefused,
    TransitionRefused,
    permission_missing_message,
)
from synthgov.history import clean_reason, record_change
from templates_app.composition import draft_pins
from templates_app.models import TemplateVersion
from templates_app.rendering import TemplateRenderError
from templates_app.selectors import template_tenant_refusal
from tenants_app.services import tenant_require, tenant_require_visible

from ..generators import GENERATORS
from ..models import GenerationJob, TargetSurface
from ..webhook_events import announce_finished
from .execution import (
    job_enqueue,
    job_finish_when_all_shards_are_done,
    job_plan_shards,
    job_shards_restart,
    job_shards_stop,
)

logger = logging.getLogger(__name__)

TRIGGER_PERMISSION = "jobs_app.trigger_generationjob"
CANCEL_PERMISSION = "jobs_app.cancel_generationjob"
TRIGGER_PERMISSION_MISSING = permission_missing_message("Triggering a job", TRIGGER_PERMISSION)
RESUME_PERMISSION = "jobs_app.resume_generationjob"
RESUME_PERMISSION_MISSING = permission_missing_message("Resuming a job", RESUME_PERMISSION)


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
    # Empty: the template's own. Given: must name the template's chapter / one of its subchapters.
    chapter_key: str = ""
    subchapter_key: str = ""
    # Review decisions each pair needs (1 or 2); None: the template's setting.
    decisions_needed: int | None = None

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
        # The taxonomy keys count only where they choose something: the chapter is always the
        # template's, and so is the subchapter unless a job on a chapter-level template narrows
        # it. Left out otherwise, so requests made before these fields existed keep their keys.
        template = self.template_version.template
        if self.subchapter_key and not template.subchapter_id:
            canonical["subchapter_key"] = self.subchapter_key
        if self.decisions_needed is not None:
            canonical["decisions_needed"] = self.decisions_needed
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


SEED_RANGE = (-(2**63), 2**63 - 1)


def _validated(request: JobRequest) -> JobRequest:
    """The request with its locale and taxonomy keys in canonical form; InvalidInput names the field at fault."""
    version = request.template_version
    template = version.template
    maximum = settings.SYNTHGOV_MAX_RECORD_COUNT
    if isinstance(request.record_count, bool) or not isinstance(request.record_count, int):
        raise InvalidInput(
            f"Record count (record_count) must be a whole number; got {request.record_count!r}.", field="record_count"
        )
    if not 1 <= request.record_count <= maximum:
        raise InvalidInput(
            f"Record count (record_count) must be between 1 and {maximum:,}; got {request.record_count}.",
            field="record_count",
        )
    if request.target_surface not in TargetSurface.values:
        raise InvalidInput(
            f"Target surface (target_surface) must be one of {', '.join(TargetSurface.values)}; "
            f"got {request.target_surface!r}.",
            field="target_surface",
        )
    if request.generator not in GENERATORS:
        raise InvalidInput(
            f"Unknown generator {request.generator!r}; available: {', '.join(sorted(GENERATORS))}.", field="generator"
        )
    if request.generator_config is not None and not isinstance(request.generator_config, dict):
        raise InvalidInput("Generator config (generator_config) must be an object.", field="generator_config")
    if problems := GENERATORS[request.generator].config_problems(request.generator_config or {}, version):
        raise InvalidInput(f"Generator config (generator_config): {'; '.join(problems)}.", field="generator_config")
    if refusal := template_tenant_refusal(template, request.tenant_id):
        raise InvalidInput(refusal, field="tenant_id")
    if len(request.idempotency_key) > 200:
        raise InvalidInput(
            "Idempotency key (idempotency_key) may have at most 200 characters.", field="idempotency_key"
        )
    if (
        isinstance(request.seed, bool)
        or not isinstance(request.seed, int)
        or not SEED_RANGE[0] <= request.seed <= SEED_RANGE[1]
    ):
        raise InvalidInput(f"Seed (seed) must be a 64-bit whole number; got {request.seed!r}.", field="seed")
    if not langcodes.tag_is_valid(request.locale):
        raise InvalidInput(
            f"Locale (locale) must be a BCP 47 language tag such as 'en', 'de-CH' or 'pt-BR'; got {request.locale!r}.",
            field="locale",
        )
    if request.chapter_key and request.chapter_key != template.chapter.key:
        raise InvalidInput(
            f"Chapter key (chapter_key) {request.chapter_key!r} does not match template '{template.key}', "
            f"which is in chapter '{template.chapter.key}'.",
            field="chapter_key",
        )
    subchapter_key = request.subchapter_key or (template.subchapter.key if template.subchapter_id else "")
    if request.subchapter_key:
        allowed = (
            [template.subchapter.key]
            if template.subchapter_id
            else list(template.chapter.subchapters.values_list("key", flat=True))
        )
        if request.subchapter_key not in allowed:
            raise InvalidInput(
                f"Subchapter key (subchapter_key) {request.subchapter_key!r} is not a subchapter of "
                f"template '{template.key}'; "
                f"choose one of: {', '.join(allowed) or '(none)'}.",
                field="subchapter_key",
            )
    if request.decisions_needed is not None and request.decisions_needed not in (1, 2):
        raise InvalidInput(
            f"Decisions needed (decisions_needed) must be 1 or 2; got {request.decisions_needed!r}.",
            field="decisions_needed",
        )
    if version.status == TemplateVersion.Status.ARCHIVED:
        raise TransitionRefused(f"{version} is archived; jobs need an approved version (or a draft for a preview).")
    if request.production and version.status != TemplateVersion.Status.APPROVED:
        raise TransitionRefused(
            f"{version} is a draft; production jobs need an approved version. "
            "Publish it first, or run a non-production preview."
        )
    return replace(
        request,
        locale=langcodes.standardize_tag(request.locale),
        chapter_key=template.chapter.key,
        subchapter_key=subchapter_key,
        generator_config=request.generator_config or {},
    )


def _draft_pins(version: TemplateVersion) -> dict:
    """A preview job renders its draft with what the draft's references are now, whenever it runs."""
    try:
        return draft_pins(version)
    except TemplateRenderError as exc:
        raise InvalidInput(f"{version} cannot be previewed: {exc}", field="template_version") from exc


def _job_lineage(request: JobRequest) -> dict:
    version = request.template_version
    template = version.template
    return {
        "template": template.key,
        "template_version": version.version,
        "template_version_id": version.pk,
        "template_content_sha256": version.content_sha256,
        "pinned_includes": version.pinned_includes if version.includes_are_pinned else _draft_pins(version),
        "chapter": request.chapter_key,
        "subchapter": request.subchapter_key,
        "generator": request.generator,
        "seed": request.seed,
    }


def job_trigger(*, request: JobRequest, acting_user) -> tuple[GenerationJob, bool]:
    """Create a job and queue it; with a known idempotency key, return the existing job.

    Returns (job, created).
    """
    if not acting_user.has_perm(TRIGGER_PERMISSION):
        raise PermissionRefused(TRIGGER_PERMISSION_MISSING)
    # Before anything else about the request: the tenant exists and the person is its member.
    tenant_require(acting_user=acting_user, key=request.tenant_id)
    request = _validated(request)
    fingerprint = request.fingerprint()
    if request.idempotency_key:
        existing = _job_for_idempotency_key(request, fingerprint)
        if existing:
            return existing, False
    version = request.template_version
    try:
        with transaction.atomic():
            job = GenerationJob(
                template_version=version,
                chapter_key=request.chapter_key,
                subchapter_key=request.subchapter_key,
                tenant_id=request.tenant_id,
                locale=request.locale,
                record_count=request.record_count,
                target_surface=request.target_surface,
                seed=request.seed,
                generator=request.generator,
                generator_config=request.generator_config or {},
                production=request.production,
                idempotency_key=request.idempotency_key,
                decisions_needed=request.decisions_needed,
                request_fingerprint=fingerprint,
                lineage=_job_lineage(request),
                created_by=acting_user,
            )
            record_change(job, user=acting_user, action="triggered")
            job.save()
            job_plan_shards(job=job)
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


@transaction.atomic
def job_cancel(*, job: GenerationJob, acting_user, reason: str = "") -> GenerationJob:
    """Cancel a pending or running job; a running one stops before its next batch. The reason
    (optional) goes into the job's history."""
    reason = clean_reason(reason)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    tenant_require_visible(acting_user=acting_user, key=job.tenant_id)
    if not can_proceed(job.cancel):
        raise TransitionRefused(f"Job {job.pk} is {job.status}; only pending or running jobs can be cancelled.")
    if not has_transition_perm(job.cancel, acting_user):
        raise PermissionRefused(permission_missing_message("Cancelling a job", CANCEL_PERMISSION))
    job.cancel(by=acting_user, at=timezone.now())
    record_change(job, user=acting_user, action="cancelled", reason=reason)
    job.save(update_fields=["status", "cancelled_by", "finished_at"])
    job_shards_stop(job=job)
    announce_finished(job)
    return job


@transaction.atomic
def job_resume(*, job: GenerationJob, acting_user, reason: str = "") -> GenerationJob:
    """Continue a failed or cancelled job with the records it has not produced yet.

    Its unfinished shards go back to pending and are queued again; each resumes from its last
    committed batch, and (job, record_index) is unique for every outcome, so the job still ends with
    exactly one outcome per record. What it produced before stays. The job is running again if it
    had started, else pending; the error and who cancelled stay in its history, with who resumed
    it and why (`reason`, optional).
    """
    reason = clean_reason(reason)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    tenant_require_visible(acting_user=acting_user, key=job.tenant_id)
    if not can_proceed(job.resume):
        raise TransitionRefused(f"Job {job.pk} is {job.status}; only failed or cancelled jobs can be resumed.")
    if not has_transition_perm(job.resume, acting_user):
        raise PermissionRefused(RESUME_PERMISSION_MISSING)
    job.resume(at=timezone.now())
    record_change(job, user=acting_user, action="resumed", reason=reason)
    job.save(update_fields=["status", "finished_at", "error", "cancelled_by", "heartbeat_at"])
    # A job queued before jobs had shards has none yet: job_enqueue plans them.
    if job_shards_restart(job=job) or not job.shards.exists():
        transaction.on_commit(lambda job_id=job.pk: job_enqueue(job_id=job_id))
    else:
        # Every record was produced; what failed was the finish (e.g. writing the manifest).
        job_finish_when_all_shards_are_done(job)
        job.refresh_from_db()
    return job
