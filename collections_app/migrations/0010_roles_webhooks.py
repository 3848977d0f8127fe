"""Roles again, after webhooks exist: Operators (and so API clients) manage webhook endpoints, read
their deliveries and attempts, and retry a delivery."""

from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0009_approvers_change_collections"),
        ("webhooks_app", "0001_initial"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
