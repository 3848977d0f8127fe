"""Roles again, after the 'resume generation job' permission exists: operators and API clients may
continue a failed or cancelled job."""

from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps, missing_ok=True)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0003_roles_for_generation_and_api"),
        ("jobs_app", "0005_job_resume_and_stopped_shards"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
