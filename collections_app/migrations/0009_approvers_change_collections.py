from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps)


class Migration(migrations.Migration):
    """Approvers change collections: the synthetic wall, PII and cross-tenant settings are theirs."""

    dependencies = [
        ("collections_app", "0007_release_formats_guards"),
    ]

    operations = [
        migrations.RunPython(update_roles, migrations.RunPython.noop),
    ]
