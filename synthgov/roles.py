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
    ],
    "Operators": [
        "templates_app.view_templateversion",
        "jobs_app.view_generationjob",
        "jobs_app.trigger_generationjob",
        "jobs_app.cancel_generationjob",
        "jobs_app.view_rejectedartifact",
        "qa_app.view_qapair",
    ],
    "Reviewers": [
        "qa_app.add_qapair",
        "qa_app.view_qapair",
        "qa_app.change_qapair",
        "qa_app.review_qapair",
        "jobs_app.view_generationjob",
        # To open a rejected artifact and promote it to a pending pair.
        "jobs_app.view_rejectedartifact",
    ],
    "Curators": [
        "qa_app.view_qapair",
        "collections_app.add_collection",
        "collections_app.change_collection",
        "collections_app.view_collection",
        "collections_app.add_membership",
        "collections_app.delete_membership",
        "collections_app.view_membership",
        "collections_app.release_collection",
        "collections_app.view_release",
        "collections_app.view_releaseitem",
    ],
    "API clients": [
        "templates_app.view_chapter",
        "templates_app.view_subchapter",
        "templates_app.view_prompttemplate",
        "templates_app.view_templateversion",
        "jobs_app.view_generationjob",
        "jobs_app.trigger_generationjob",
        "jobs_app.view_rejectedartifact",
        "qa_app.view_qapair",
        "collections_app.view_collection",
        "collections_app.view_release",
    ],
}


def ensure_roles(group_model, permission_model) -> None:
    """Create each group with its permissions; models are passed in so migrations can use it."""
    for name, dotted_names in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in dotted_names:
            app_label, codename = dotted.split(".")
            group.permissions.add(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
