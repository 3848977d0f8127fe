"""The role groups of the design, each with the permissions its work needs.

Lives in the last app of the dependency chain so every model's permissions exist.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
        "qa_app.view_qapair",
        "qa_app.change_qapair",
        "qa_app.review_qapair",
        "jobs_app.view_generationjob",
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


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0001_initial"),
        ("templates_app", "0001_initial"),
        ("jobs_app", "0001_initial"),
        ("qa_app", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
