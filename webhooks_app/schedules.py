"""Recurring q2 work the webhooks app needs on every cluster."""

WEBHOOK_SWEEP = "send-due-webhook-deliveries"
MINUTES = "I"  # django_q Schedule.MINUTES; a literal so migrations can pass their historical model


def ensure_webhook_sweep(Schedule) -> None:
    """`Schedule`: django_q's model, or its historical version in a migration. Every cluster's
    scheduler runs the sweep each minute; it queues the deliveries whose next attempt is due."""
    Schedule.objects.update_or_create(
        name=WEBHOOK_SWEEP,
        defaults={
            "func": "webhooks_app.tasks.send_due_webhook_deliveries",
            "schedule_type": MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
