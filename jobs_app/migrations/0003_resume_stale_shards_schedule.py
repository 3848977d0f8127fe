from django.db import migrations

from jobs_app.schedules import STALE_SHARD_SWEEP, ensure_stale_shard_sweep


def schedule_the_sweep(apps, schema_editor):
    ensure_stale_shard_sweep(apps.get_model("django_q", "Schedule"))


def unschedule_the_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=STALE_SHARD_SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs_app", "0002_shards_profiles_duplicates"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule_the_sweep, unschedule_the_sweep)]
