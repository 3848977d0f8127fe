"""Recurring q2 work the jobs app needs on every cluster."""

STALE_SHARD_SWEEP = "resume-stale-generation-shards"
MINUTES = "I"  # django_q Schedule.MINUTES; a literal so migrations can pass their historical model


def ensure_stale_shard_sweep(Schedule) -> None:
    """`Schedule`: django_q's model, or its historical version in a migration.

    Every cluster's scheduler runs the sweep each minute; it re-queues only shards silent past the stale limit.
    """
    Schedule.objects.update_or_create(
        name=STALE_SHARD_SWEEP,
        defaults={
            "func": "jobs_app.tasks.resume_stale_generation_shards",
            "schedule_type": MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
