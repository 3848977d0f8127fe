"""django-q2 entry points: load by id, call the service."""

from .services import webhook_deliveries_send_due, webhook_delivery_send


def send_webhook_delivery(delivery_id: int) -> None:
    webhook_delivery_send(delivery_id=delivery_id)


def send_due_webhook_deliveries() -> None:
    webhook_deliveries_send_due()
