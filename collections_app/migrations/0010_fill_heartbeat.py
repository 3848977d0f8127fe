"""Fills record a heartbeat per committed range, and every cluster sweeps the silent ones each minute."""

from django.db import migrations, models

from collections_app.schedules import STALE_FILL_SWEEP, ensure_stale_fill_sweep


def schedule_the_sweep(apps, schema_editor):
    ensure_stale_fill_sweep(apps.get_model("django_q", "Schedule"))


def unschedule_the_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=STALE_FILL_SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0009_approvers_change_collections"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="membershipfill",
            name="heartbeat_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="Last committed range: a running fill silent too long is resumed.",
                null=True,
            ),
        ),
        migrations.RunPython(schedule_the_sweep, unschedule_the_sweep),
    ]
