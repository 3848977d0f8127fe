"""Rejected artifacts, reviewer side: promoting one, after editing, to a pending pair."""

from django.db import transaction

from qa_app.services import synthetic_pair_promote
from synthgov.errors import PermissionRefused, TransitionRefused, permission_missing_message
from tenants_app.services import tenant_require_visible

from ..models import RejectedArtifact

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
    tenant_require_visible(acting_user=acting_user, key=artifact.job.tenant_id)
    if artifact.promoted_pair_id:
        raise TransitionRefused(
            f"Rejected artifact #{artifact.pk} was already promoted to QA pair #{artifact.promoted_pair_id}."
        )
    job = artifact.job
    payload = artifact.payload
    pair = synthetic_pair_promote(
        content={"question": question, "answer": answer, "context": context},
        tenant_id=job.tenant_id,
        locale=job.locale,
        template_version_id=job.template_version_id,
        preview_job_id=None if job.production else job.pk,
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
        acting_user=acting_user,
        decisions_needed=job.effective_decisions_needed,
        reason=f"promoted from rejected artifact #{artifact.pk} (job {job.pk}, record {artifact.record_index})",
    )
    artifact.promoted_pair = pair
    artifact.save(update_fields=["promoted_pair"])
    return pair
