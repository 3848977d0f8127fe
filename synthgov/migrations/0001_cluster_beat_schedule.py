from django.db import migrations

from synthgov.health import CLUSTER_BEAT_SCHEDULE, ensure_cluster_beat_schedule


def schedule_the_beat(apps, schema_editor):
    ensure_cluster_beat_schedule(apps.get_model("django_q", "Schedule"))


def unschedule_the_beat(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=CLUSTER_BEAT_SCHEDULE).delete()


class Migration(migrations.Migration):
    """The schedule whose progress tells /health/ready/ that a q2 cluster is alive (synthgov/health.py)."""

    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(schedule_the_beat, unschedule_the_beat)]
