"""Rejected artifacts, reviewer side: promoting one, after editing, to a pending pair."""

from django.conf import settings
from django.db import transaction

from qa_app.models import QAPair, normalised_content_hash
from qa_app.selectors import qa_pair_duplicate_of
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused, permission_missing_message
from synthgov.text_limits import refuse_text_problems

from ..models import RejectedArtifact
from ..near_duplicate_store import pairs_index_for_near_duplicates
from ..validation.language import locale_mismatch, locale_region
from ..validation.pii import pii_flags
from ..validation.scoring import components_for, quality

REVIEW_PERMISSION = "qa_app.review_qapair"
PROMOTION_PERMISSION_MISSING = permission_missing_message("Promoting a rejected artifact", REVIEW_PERMISSION)


@transaction.atomic
def rejected_artifact_promote(*, artifact: RejectedArtifact, question: str, answer: str, context: str, acting_user):
    """Make a pending synthetic pair of an artifact's content as the reviewer edited it.

    The artifact stays its record index's outcome (the job's counts do not change); the pair
    points back to it through `promoted_from` and its lineage, not through (job, record_index).
    """
    if not acting_user.has_perm(REVIEW_PERMISSION):
        raise PermissionRefused(PROMOTION_PERMISSION_MISSING)
    artifact = RejectedArtifact.objects.select_for_update().select_related("job").get(pk=artifact.pk)
    if artifact.promoted_pair_id:
        raise TransitionRefused(
            f"Rejected artifact #{artifact.pk} was already promoted to QA pair #{artifact.promoted_pair_id}."
        )
    question, answer, context = question.strip(), answer.strip(), (context or "").strip()
    refuse_text_problems({"question": question, "answer": answer, "context": context})
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            raise InvalidInput(f"The {name} of a promoted pair cannot be empty.", field=name)
    job = artifact.job
    duplicate = qa_pair_duplicate_of(
        tenant_id=job.tenant_id, content_hash=normalised_content_hash(question, answer, context)
    )
    if duplicate:
        raise TransitionRefused(
            f"QA pair #{duplicate.pk} of tenant '{job.tenant_id}' already has this content; "
            "edit the text, or review that pair instead."
        )
    record = {"question": question, "answer": answer, "context": context}
    flags = pii_flags(record, region=locale_region(job.locale))
    mismatch = locale_mismatch(
        f"{question}\n{answer}",
        job.locale,
        min_chars=settings.SYNTHGOV_LOCALE_MIN_CHARS,
        min_confidence=settings.SYNTHGOV_LOCALE_MIN_CONFIDENCE,
    )
    flags += [mismatch] if mismatch else []
    score, scores = quality(components_for(record, flags))
    payload = artifact.payload
    pair = QAPair(
        **record,
        tenant_id=job.tenant_id,
        locale=job.locale,
        source=QAPair.Source.SYNTHETIC,
        template_version_id=job.template_version_id,
        is_preview=not job.production,
        quality_score=score,
        scores=scores,
        flags=flags,
        metadata={
            "system_prompt": payload.get("system_prompt", ""),
            "target_surface": job.target_surface,
            "production": job.production,
            "promoted_by": acting_user.get_username(),
        },
        lineage={
            **job.lineage,
            "job": job.pk,
            "record_index": artifact.record_index,
            "variables": payload.get("variables", {}),
            "promoted_from_artifact": artifact.pk,
        },
    )
    pair._history_user = acting_user
    pair._change_reason = (
        f"promoted from rejected artifact #{artifact.pk} (job {job.pk}, record {artifact.record_index})"
    )
    pair.save()
    pairs_index_for_near_duplicates([pair])
    artifact.promoted_pair = pair
    artifact.save(update_fields=["promoted_pair"])
    return pair
