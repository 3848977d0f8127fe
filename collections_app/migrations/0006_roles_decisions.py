"""Roles again, after review decisions exist: Adjudicators decide the pairs two reviewers disagreed
on; reviewers (and so API clients) may read decisions and reject reasons."""

from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0005_history_change_reason_text"),
        ("qa_app", "0006_decisions"),
        ("jobs_app", "0007_decisions"),
        ("templates_app", "0005_decisions"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
