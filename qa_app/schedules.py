"""Recurring q2 work the QA app needs on every cluster."""

STALE_IMPORT_SWEEP = "resume-stale-imports"
MINUTES = "I"  # django_q Schedule.MINUTES; a literal so migrations can pass their historical model


def ensure_stale_import_sweep(Schedule) -> None:
    """`Schedule`: django_q's model, or its historical version in a migration. Every cluster's
    scheduler runs the sweep each minute; it re-queues only imports silent past the stale limit."""
    Schedule.objects.update_or_create(
        name=STALE_IMPORT_SWEEP,
        defaults={"func": "qa_app.tasks.resume_stale_imports", "schedule_type": MINUTES, "minutes": 1, "repeats": -1},
    )
