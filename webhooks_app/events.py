"""The events other systems can subscribe to, and `announce`, which services call to publish one.

`announce` runs inside the caller's transaction: it writes one delivery per active endpoint
subscribed to the event (and to its tenant), and queues their sending after commit. A rollback
leaves no delivery and sends nothing. This module is the ground floor: every app may import it,
and it imports nothing from them (each app builds its own payload).
"""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

TEMPLATE_VERSION_PUBLISHED = "template_version.published"
TEMPLATE_VERSION_ARCHIVED = "template_version.archived"
JOB_SUCCEEDED = "job.succeeded"
JOB_FAILED = "job.failed"
JOB_CANCELLED = "job.cancelled"
RELEASE_PUBLISHED = "release.published"
IMPORT_FINISHED = "import.finished"
# Sent only to the one endpoint an operator tests (admin action, API), never by announce.
TEST_EVENT = "webhook.test"

EVENTS = {
    TEMPLATE_VERSION_PUBLISHED: "A template version was published (approved and made current).",
    TEMPLATE_VERSION_ARCHIVED: "A template version was archived.",
    JOB_SUCCEEDED: "A generation job produced all its records.",
    JOB_FAILED: "A generation job failed.",
    JOB_CANCELLED: "A generation job was cancelled.",
    RELEASE_PUBLISHED: "A collection release was written and published.",
    IMPORT_FINISHED: "An import ended (succeeded, failed or cancelled).",
}


def api_url(path: str) -> str:
    """`path` (an API path such as /api/v1/jobs/12/) made absolute with SYNTHGOV_PUBLIC_URL when set."""
    base = settings.SYNTHGOV_PUBLIC_URL.rstrip("/")
    return f"{base}{path}" if base else path


def envelope(event: str, *, tenant_id: str, payload: dict, at=None) -> dict:
    """The body every delivery sends (Standard Webhooks' recommended shape: type, timestamp, data)."""
    return {
        "type": event,
        "timestamp": (at or timezone.now()).isoformat().replace("+00:00", "Z"),
        "tenant_id": tenant_id,
        "data": payload,
    }


def new_webhook_id() -> str:
    """The message id (`webhook-id`): the same for every attempt of one delivery, so receivers can
    drop duplicates."""
    return f"msg_{uuid.uuid4().hex}"


def announce(event: str, *, tenant_id: str, subject: str, payload: dict) -> list[int]:
    """Publish `event` about `subject` (e.g. "job 12"): one pending delivery per active endpoint
    that subscribes to it, for every tenant (endpoint tenant empty) or this one; an event without
    a tenant (templates are shared) goes to every subscribed endpoint. Call it inside the
    transaction that makes the change; returns the delivery ids."""
    from .models import WebhookDelivery, WebhookEndpoint

    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}; add it to webhooks_app.events.EVENTS.")
    now = timezone.now()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "events", "tenant_id")
        if event in endpoint.events and (not tenant_id or endpoint.tenant_id in ("", tenant_id))
    ]
    if not endpoints:
        return []
    body = envelope(event, tenant_id=tenant_id, payload=payload, at=now)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event=event,
                tenant_id=tenant_id,
                subject=subject[:200],
                payload=body,
                webhook_id=new_webhook_id(),
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    )
    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda ids=tuple(ids): _enqueue_all(ids))
    return ids


def _enqueue_all(ids) -> None:
    from .services import webhook_delivery_enqueue

    for delivery_id in ids:
        webhook_delivery_enqueue(delivery_id=delivery_id)
