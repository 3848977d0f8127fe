"""Roles again, after webhooks exist: Operators (and so API clients) manage webhook endpoints, read
their deliveries and attempts, and retry a delivery."""

from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0010_fill_heartbeat"),
        ("webhooks_app", "0001_initial"),
        ("jobs_app", "0008_adaptive_concurrency_early_stop"),
        ("qa_app", "0011_pending_per_tenant_index"),
        ("templates_app", "0005_decisions"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
