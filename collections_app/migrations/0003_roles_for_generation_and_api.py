"""Roles again, after the models of shards, generator profiles and duplicate outcomes exist:
operators and reviewers see them, and API clients get what the people in the admin have."""

from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0002_roles"),
        ("templates_app", "0003_judge_rubric"),
        ("jobs_app", "0003_resume_stale_shards_schedule"),
        ("qa_app", "0002_quality_score_index"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
