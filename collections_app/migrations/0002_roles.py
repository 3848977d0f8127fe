"""The role groups (synthgov.roles), each with the permissions its work needs.

Lives in the last app of the dependency chain so every model's permissions exist.
"""

from django.db import migrations

from synthgov.roles import ROLES, ensure_roles_in_migration


def create_roles(apps, schema_editor):
    # Models of later migrations may not exist yet; 0003 runs after them and adds their permissions.
    ensure_roles_in_migration(apps, missing_ok=True)


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
