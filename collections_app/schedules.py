"""Recurring q2 work the collections app needs on every cluster."""

STALE_FILL_SWEEP = "resume-stale-fills"
MINUTES = "I"  # django_q Schedule.MINUTES; a literal so migrations can pass their historical model


def ensure_stale_fill_sweep(Schedule) -> None:
    """`Schedule`: django_q's model, or its historical version in a migration. Every cluster's
    scheduler runs the sweep each minute; it re-queues only fills silent past the stale limit."""
    Schedule.objects.update_or_create(
        name=STALE_FILL_SWEEP,
        defaults={
            "func": "collections_app.tasks.resume_stale_fills",
            "schedule_type": MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
