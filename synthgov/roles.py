"""The role groups of the design and the permissions each needs.

Admin and services check these permissions; the groups are how a deployment hands them out.
"""

ROLES = {
    "Template authors": [
        "templates_app.view_chapter",
        "templates_app.view_subchapter",
        "templates_app.add_prompttemplate",
        "templates_app.change_prompttemplate",
        "templates_app.view_prompttemplate",
        "templates_app.add_templateversion",
        "templates_app.change_templateversion",
        "templates_app.view_templateversion",
    ],
    "Approvers": [
        "templates_app.view_prompttemplate",
        "templates_app.view_templateversion",
        "templates_app.publish_templateversion",
        "templates_app.archive_templateversion",
        # Governance of releases: lifting the synthetic wall, letting PII out, crossing tenants.
        "collections_app.view_collection",
        # They make those decisions on the collection's change page (curators change the rest).
        "collections_app.change_collection",
        "collections_app.lift_synthetic_wall",
        "collections_app.allow_pii_collection",
        "collections_app.set_cross_tenant_collection",
        # An import of an already curated set may approve its pairs, with a recorded reason.
        "qa_app.view_importrun",
        "qa_app.approve_on_import",
    ],
    "Operators": [
        "templates_app.view_templateversion",
        "jobs_app.view_generationjob",
        "jobs_app.trigger_generationjob",
        "jobs_app.cancel_generationjob",
        "jobs_app.resume_generationjob",
        "jobs_app.view_rejectedartifact",
        "jobs_app.view_duplicaterecord",
        "jobs_app.view_jobshard",
        "jobs_app.view_generatorprofile",
        "qa_app.view_qapair",
        # Wire synthgov into other systems: webhook endpoints, their delivery log, retry now.
        "webhooks_app.add_webhookendpoint",
        "webhooks_app.change_webhookendpoint",
        "webhooks_app.delete_webhookendpoint",
        "webhooks_app.view_webhookendpoint",
        "webhooks_app.view_webhookdelivery",
        "webhooks_app.view_webhookattempt",
        "webhooks_app.retry_webhookdelivery",
    ],
    "Reviewers": [
        "qa_app.add_qapair",
        "qa_app.view_qapair",
        "qa_app.change_qapair",
        "qa_app.review_qapair",
        "qa_app.view_reviewdecision",
        "qa_app.view_rejectreason",
        "jobs_app.view_generationjob",
        # To open a rejected artifact and promote it to a pending pair.
        "jobs_app.view_rejectedartifact",
        "jobs_app.view_duplicaterecord",
    ],
    # Decide the pairs on which two reviewers disagreed (the adjudication queue); see both decisions.
    "Adjudicators": [
        "qa_app.view_qapair",
        "qa_app.view_reviewdecision",
        "qa_app.view_rejectreason",
        "qa_app.adjudicate_qapair",
        "qa_app.view_qapairawaitingadjudication",
    ],
    "Curators": [
        "qa_app.view_qapair",
        "collections_app.add_collection",
        "collections_app.change_collection",
        "collections_app.view_collection",
        "collections_app.add_membership",
        "collections_app.delete_membership",
        "collections_app.view_membership",
        "collections_app.view_membershipfill",
        "collections_app.release_collection",
        "collections_app.view_release",
        "collections_app.view_releaseitem",
        # Bring existing datasets in as imported pairs (pending review).
        "qa_app.add_importrun",
        "qa_app.view_importrun",
        "qa_app.cancel_importrun",
        "qa_app.view_importlineissue",
    ],
}


# API clients do over REST what the people above do in the admin, except publishing and
# archiving templates: that stays an approver's decision, taken in the admin.
ROLES["API clients"] = sorted(
    {name for role in ("Template authors", "Operators", "Reviewers", "Curators") for name in ROLES[role]}
)


def ensure_roles(group_model, permission_model, *, missing_ok: bool = False) -> None:
    """Create each group with its permissions; models are passed in so migrations can use it.

    `missing_ok`: skip permissions whose model a later migration creates (an early roles migration
    on a fresh database); the roles migration that runs after every app's last one adds them.
    """
    for name, dotted_names in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in dotted_names:
            app_label, codename = dotted.split(".")
            permission = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is None and missing_ok:
                continue
            if permission is None:
                raise LookupError(f"role {name!r}: no permission {dotted}")
            group.permissions.add(permission)


def ensure_roles_in_migration(apps, *, missing_ok: bool = False) -> None:
    """ensure_roles from a migration: permissions are normally created after migrating, so first
    create those of every model the migration state knows."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), missing_ok=missing_ok)


# Every role but this one works in the admin, which needs staff status to sign in.
API_ONLY_ROLE = "API clients"


def role_grant(*, user, role: str) -> bool:
    """Put `user` in the role's group (with staff status for the admin roles); False when they had it already."""
    from django.contrib.auth.models import Group

    from .errors import InvalidInput

    if role not in ROLES:
        raise InvalidInput(f"No role {role!r}; the roles are: {', '.join(ROLES)}.", field="role")
    if role != API_ONLY_ROLE and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    group = Group.objects.get(name=role)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True
