from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from synthgov.errors import (
    InvalidInput,
    PermissionRefused,
    TransitionRefused,
    permission_missing_message,
    require_permission,
)
from synthgov.fsm import copy_stored_values
from synthgov.history import clean_reason, record_change

from .checks import compile_problems, draft_problems, rendering_problems, structure_problems
from .composition import pins_for
from .models import CONTENT_FIELDS, PromptTemplate, TemplateVersion
from .rendering import CompiledVersion
from .webhook_events import announce_archived, announce_published

FOUR_EYES_REFUSAL = "You wrote this version; another approver must publish it (four-eyes rule)."
ADD_PERMISSION = "templates_app.add_templateversion"
PUBLISH_PERMISSION = "templates_app.publish_templateversion"
ARCHIVE_PERMISSION = "templates_app.archive_templateversion"


@transaction.atomic
def prompt_template_save(*, template: PromptTemplate, acting_user, reason: str = "") -> PromptTemplate:
    """Create a template, or change its name, description or place in the taxonomy (its content
    lives in its versions). Records who and why in the history row, whoever calls."""
    creating = template.pk is None
    if creating:
        require_permission(acting_user, "templates_app.add_prompttemplate", doing="Creating templates")
    else:
        require_permission(acting_user, "templates_app.change_prompttemplate", doing="Changing templates")
    try:
        template.full_clean()
    except ValidationError as exc:
        problems = {field: list(messages) for field, messages in exc.message_dict.items()}
        raise InvalidInput(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in problems.items()), problems=problems
        ) from exc
    record_change(template, user=acting_user, action="created" if creating else "changed", reason=clean_reason(reason))
    template.save()
    return template


@transaction.atomic
def prompt_template_delete(*, template: PromptTemplate, acting_user, reason: str = "") -> None:
    """Delete a template that has no versions (one with versions is protected: archive those instead)."""
    require_permission(acting_user, "templates_app.delete_prompttemplate", doing="Deleting templates")
    record_change(template, user=acting_user, action="deleted", reason=clean_reason(reason))
    template.delete()


def _next_version_number(template) -> int:
    """The next number, taken under the template's row lock (held until the transaction ends): two
    concurrent new drafts of one template get n+1 and n+2, never both n+1."""
    PromptTemplate.objects.select_for_update().filter(pk=template.pk).first()
    latest = TemplateVersion.objects.filter(template=template).aggregate(latest=Max("version"))["latest"]
    return (latest or 0) + 1


def _lock_versions(version: TemplateVersion) -> list[TemplateVersion]:
    """The template's versions, locked until the transaction ends: publish and archive decide which
    one is current from them, and two at once must not both make theirs current."""
    locked = list(TemplateVersion.objects.select_for_update().filter(template=version.template).order_by("version"))
    stored = next((candidate for candidate in locked if candidate.pk == version.pk), None)
    if stored is not None and stored.status != version.status:
        # Someone else published or archived it while this request waited for the lock.
        copy_stored_values(version, stored, fields=("status",))
    return locked


@transaction.atomic
def template_version_save_draft(
    *, version: TemplateVersion, acting_user, check_references: bool = True, action: str = ""
) -> TemplateVersion:
    """Create or update a draft. A new version gets the next number and its author.

    Every field must compile, and what it includes or extends must resolve to approved versions;
    `check_references=False` (file import, which brings referenced templates in as drafts too)
    leaves references to be checked at publish. `action` names the change in the history row
    (default: "draft created" or "draft saved").
    """
    needed = ADD_PERMISSION if version.pk is None else "templates_app.change_templateversion"
    require_permission(acting_user, needed, doing="Writing template versions")
    if (
        version.pk is not None
        and not TemplateVersion.objects.filter(pk=version.pk, status=TemplateVersion.Status.DRAFT).exists()
    ):
        raise TransitionRefused(version.immutable_message())
    problems = draft_problems(version, references=check_references)
    if problems:
        message = "; ".join(problem for field_problems in problems.values() for problem in field_problems)
        raise InvalidInput(message, field=next(iter(problems)), problems=problems)
    created = version.pk is None
    if created:
        version.version = _next_version_number(version.template)
        version.author = acting_user
    record_change(version, user=acting_user, action=action or ("draft created" if created else "draft saved"))
    version.save()
    return version


def publish_refusal(*, version: TemplateVersion, acting_user) -> str | None:
    """Why `acting_user` may not publish `version` (the permission, or four-eyes), or None if they may."""
    if not has_transition_perm(version.publish, acting_user):
        return permission_missing_message("Publishing a template version", PUBLISH_PERMISSION)
    if settings.SYNTHGOV_FOUR_EYES and version.author_id == acting_user.pk:
        return FOUR_EYES_REFUSAL
    return None


@transaction.atomic
def template_version_publish(*, version: TemplateVersion, acting_user, keep_previous: bool = False) -> TemplateVersion:
    """Approve a draft and make it the template's current version.

    The previous current version is archived, or with `keep_previous` stays approved (no longer
    current). What the draft includes or extends is pinned: the current approved versions now,
    checked by rendering, and used by this version from then on.
    """
    locked = _lock_versions(version)
    if not can_proceed(version.publish):
        raise TransitionRefused(
            f"Only a draft can be published; version {version.version} of '{version.template.key}' is {version.status}."
        )
    refusal = publish_refusal(version=version, acting_user=acting_user)
    if refusal:
        raise PermissionRefused(refusal)
    problems = structure_problems(version) or compile_problems(version)
    compiled = None if problems else CompiledVersion.compile(version)
    problems = problems or rendering_problems(version, compiled=compiled)
    if problems:
        raise InvalidInput("Cannot publish: " + "; ".join(problems))
    now = timezone.now()
    previous = next((candidate for candidate in locked if candidate.is_current and candidate.pk != version.pk), None)
    if previous is not None:
        # Saved first: the one-current constraint is checked row by row, not at commit.
        previous.is_current = False
        if not keep_previous:
            previous.archive(at=now)
        record_change(
            previous,
            user=acting_user,
            action="no longer current" if keep_previous else "archived",
            reason=f"version {version.version} was published",
        )
        previous.save()
        if not keep_previous:
            announce_archived(previous, reason=f"version {version.version} was published")
    version.publish(by=acting_user, at=now)
    # The draft's own hash changes with its pins here, in the one save that leaves the draft state.
    version.pinned_includes = pins_for(compiled.composition)
    version.is_current = True
    record_change(version, user=acting_user, action="published")
    version.save()
    announce_published(version)
    return version


@transaction.atomic
def template_version_archive(*, version: TemplateVersion, acting_user, reason: str = "") -> TemplateVersion:
    """Retire a version, with the reason (optional) in its history. Archiving the current one makes
    the latest remaining approved version (if any) current, so that drafts including this template
    keep resolving."""
    reason = clean_reason(reason)
    locked = _lock_versions(version)
    if not can_proceed(version.archive):
        raise TransitionRefused(f"Version {version.version} of '{version.template.key}' is already archived.")
    if not has_transition_perm(version.archive, acting_user):
        raise PermissionRefused(permission_missing_message("Archiving a template version", ARCHIVE_PERMISSION))
    was_current = any(candidate.pk == version.pk and candidate.is_current for candidate in locked)
    version.archive(at=timezone.now())
    version.is_current = False
    record_change(version, user=acting_user, action="archived", reason=reason)
    version.save()
    announce_archived(version, reason=reason)
    if was_current:
        remaining = [
            candidate
            for candidate in locked
            if candidate.pk != version.pk and candidate.status == TemplateVersion.Status.APPROVED
        ]
        if remaining:
            successor = remaining[-1]
            successor.is_current = True
            record_change(
                successor, user=acting_user, action="made current", reason=f"version {version.version} was archived"
            )
            successor.save()
    return version


@transaction.atomic
def template_version_new_draft(*, version: TemplateVersion, acting_user) -> TemplateVersion:
    """Copy a version's content into version n+1, authored by the person asking."""
    draft = TemplateVersion(template=version.template, **{name: getattr(version, name) for name in CONTENT_FIELDS})
    return template_version_save_draft(
        version=draft, acting_user=acting_user, action=f"new draft from version {version.version}"
    )
