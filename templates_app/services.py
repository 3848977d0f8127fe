from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused

from .checks import rendering_problems, structure_problems
from .models import CONTENT_FIELDS, TemplateVersion

FOUR_EYES_REFUSAL = "You wrote this version; another approver must publish it (four-eyes rule)."


def _next_version_number(template) -> int:
    latest = TemplateVersion.objects.filter(template=template).aggregate(latest=Max("version"))["latest"]
    return (latest or 0) + 1


@transaction.atomic
def template_version_save_draft(*, version: TemplateVersion, acting_user) -> TemplateVersion:
    """Create or update a draft. A new version gets the next number and its author."""
    needed = "add_templateversion" if version.pk is None else "change_templateversion"
    if not acting_user.has_perm(f"templates_app.{needed}"):
        raise PermissionRefused(f"Writing template versions needs the '{needed}' permission.")
    if (
        version.pk is not None
        and not TemplateVersion.objects.filter(pk=version.pk, status=TemplateVersion.Status.DRAFT).exists()
    ):
        raise TransitionRefused(version.immutable_message())
    problems = structure_problems(version)
    if problems:
        raise InvalidInput("; ".join(problems))
    if version.pk is None:
        version.version = _next_version_number(version.template)
        version.author = acting_user
    version.save()
    return version


@transaction.atomic
def template_version_publish(*, version: TemplateVersion, acting_user) -> TemplateVersion:
    if not can_proceed(version.publish):
        raise TransitionRefused(
            f"Only a draft can be published; version {version.version} of '{version.template.key}' is {version.status}."
        )
    if not has_transition_perm(version.publish, acting_user):
        raise PermissionRefused("Publishing needs the 'publish template version' permission.")
    if settings.SYNTHGOV_FOUR_EYES and version.author_id == acting_user.pk:
        raise PermissionRefused(FOUR_EYES_REFUSAL)
    problems = structure_problems(version) or rendering_problems(version)
    if problems:
        raise InvalidInput("Cannot publish: " + "; ".join(problems))
    version.publish(by=acting_user, at=timezone.now())
    version.save()
    return version


@transaction.atomic
def template_version_archive(*, version: TemplateVersion, acting_user) -> TemplateVersion:
    if not can_proceed(version.archive):
        raise TransitionRefused(f"Version {version.version} of '{version.template.key}' is already archived.")
    if not has_transition_perm(version.archive, acting_user):
        raise PermissionRefused("Archiving needs the 'archive template version' permission.")
    version.archive(at=timezone.now())
    version.save()
    return version


@transaction.atomic
def template_version_new_draft(*, version: TemplateVersion, acting_user) -> TemplateVersion:
    """Copy a version's content into version n+1, authored by the person asking."""
    draft = TemplateVersion(template=version.template, **{name: getattr(version, name) for name in CONTENT_FIELDS})
    return template_version_save_draft(version=draft, acting_user=acting_user)
