"""Every change to webhook endpoints and deliveries: saving endpoints (with the SSRF guard), sending
a delivery and recording its attempt, retrying with backoff, giving up and disabling an endpoint
that keeps failing. Admin, API and q2 tasks call these.

Retries: attempt n that fails schedules attempt n+1 after SYNTHGOV_WEBHOOK_RETRY_SECONDS x 2^(n-1),
at most SYNTHGOV_WEBHOOK_RETRY_MAX_SECONDS; after SYNTHGOV_WEBHOOK_MAX_ATTEMPTS the delivery is
given up (defaults: 30 s doubling, capped at 4 h, 15 attempts: the last one about 24 h after the
event). django-q2 has no delayed tasks: the first attempt is queued after commit, later ones by
the every-minute sweep (webhooks_app.schedules) that queues the deliveries due.

An endpoint is disabled, with a note in `disabled_reason`, once SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP
of its deliveries in a row were given up (no success in between): by then it has failed for at
least a day. Its pending deliveries then wait; enabling it again sends them.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import can_proceed
from django_q.tasks import async_task

from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused, require_permission
from synthgov.history import clean_reason, record_change
from tenants_app.scoping import sees_all_tenants
from tenants_app.services import tenant_require

from . import sending
from .addresses import url_problem
from .events import EVENTS, TEST_EVENT, api_url, envelope, new_webhook_id
from .models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

ADD_PERMISSION = "webhooks_app.add_webhookendpoint"
CHANGE_PERMISSION = "webhooks_app.change_webhookendpoint"
DELETE_PERMISSION = "webhooks_app.delete_webhookendpoint"
RETRY_PERMISSION = "webhooks_app.retry_webhookdelivery"

URL_REQUIRED = "A webhook URL (url) is required."
URL_TOO_LONG = "The webhook URL (url) has {length:,} characters; at most {limit:,} are allowed."
HAS_NUL = "{field} contains a NUL character (\\u0000), which cannot be stored. Remove it."
DESCRIPTION_TOO_LONG = "The description has {length:,} characters; at most {limit:,} are allowed."
TENANT_TOO_LONG = "The tenant id (tenant_id) has at most 100 characters."
EVENTS_REQUIRED = "Choose at least one event (events); the events are: {events}."
EVENTS_UNKNOWN = "Unknown event(s) {unknown}; the events are: {events}."
EVENTS_NOT_A_LIST = "Events (events) must be a list of event names; the events are: {events}."
EVERY_TENANT_NEEDS_VIEW_ALL = (
    "An endpoint without a tenant (empty tenant_id) receives every tenant's events, so only a user who "
    "sees every tenant may manage it; give one of your tenants (tenant_id)."
)
ENDPOINT_INACTIVE = "Webhook {pk} is disabled; enable it first (its pending deliveries are sent then)."
DELIVERY_SUCCEEDED = "Delivery #{pk} was received already; there is nothing to retry."
DISABLED_NOTE = (
    "Disabled automatically at {at}: {count} deliveries in a row were given up after "
    "{attempts} attempts each (last answer: {last}). Check the receiver, then enable the endpoint again."
)


def endpoint_problems(*, url: str, events, description: str, tenant_id: str) -> dict[str, str]:
    """Why these endpoint settings cannot be saved, by field (empty when they can)."""
    problems = {}
    all_events = ", ".join(EVENTS)
    if not url:
        problems["url"] = URL_REQUIRED
    elif len(url) > MAX_URL_CHARS:
        problems["url"] = URL_TOO_LONG.format(length=len(url), limit=MAX_URL_CHARS)
    elif "\x00" in url:
        problems["url"] = HAS_NUL.format(field="The webhook URL (url)")
    elif problem := url_problem(url):
        problems["url"] = problem
    if not isinstance(events, list | tuple) or not all(isinstance(event, str) for event in events):
        problems["events"] = EVENTS_NOT_A_LIST.format(events=all_events)
    elif not events:
        problems["events"] = EVENTS_REQUIRED.format(events=all_events)
    elif unknown := [event for event in events if event not in EVENTS]:
        problems["events"] = EVENTS_UNKNOWN.format(unknown=", ".join(repr(e[:64]) for e in unknown), events=all_events)
    if len(description or "") > MAX_DESCRIPTION_CHARS:
        problems["description"] = DESCRIPTION_TOO_LONG.format(length=len(description), limit=MAX_DESCRIPTION_CHARS)
    elif "\x00" in (description or ""):
        problems["description"] = HAS_NUL.format(field="The description")
    if len(tenant_id or "") > 100:
        problems["tenant_id"] = TENANT_TOO_LONG
    elif "\x00" in (tenant_id or ""):
        problems["tenant_id"] = HAS_NUL.format(field="The tenant id (tenant_id)")
    return problems


def _refuse_problems(endpoint: WebhookEndpoint) -> None:
    problems = endpoint_problems(
        url=endpoint.url, events=endpoint.events, description=endpoint.description, tenant_id=endpoint.tenant_id
    )
    if problems:
        raise InvalidInput(
            " ".join(problems.values()),
            field=next(iter(problems)),
            problems={field: [message] for field, message in problems.items()},
        )


def _require_tenant_access(acting_user, tenant_id: str) -> None:
    """Refuse `acting_user` an endpoint of a tenant they do not see. An endpoint without a tenant
    hears every tenant's events (payloads name jobs, releases and imports), so it is for users
    who see every tenant. A system caller (acting_user None) may do anything."""
    if acting_user is None:
        return
    if not tenant_id:
        if not sees_all_tenants(acting_user):
            raise PermissionRefused(EVERY_TENANT_NEEDS_VIEW_ALL, field="tenant_id")
        return
    tenant_require(acting_user=acting_user, key=tenant_id)


def _ordered_events(events) -> list[str]:
    """The subscribed events in the catalogue's order, each once."""
    return [event for event in EVENTS if event in set(events)]


@transaction.atomic
def webhook_endpoint_create(
    *, acting_user, url: str, events: list[str], description: str = "", tenant_id: str = "", active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint with a new signing secret; returns (endpoint, secret). The secret is
    shown to the caller this once: nothing displays it again."""
    require_permission(acting_user, ADD_PERMISSION, doing="Adding webhook endpoints")
    endpoint = WebhookEndpoint(
        url=url.strip(),
        events=events,
        description=description,
        tenant_id=tenant_id.strip(),
        active=active,
        secret=sending.new_secret(),
        created_by=acting_user,
    )
    _refuse_problems(endpoint)
    _require_tenant_access(acting_user, endpoint.tenant_id)
    endpoint.events = _ordered_events(events)
    record_change(endpoint, user=acting_user, action="created")
    endpoint.save()
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, acting_user, reason: str = "", **changes) -> WebhookEndpoint:
    """Change an endpoint's url, events, description, tenant_id or active flag. Enabling a disabled
    endpoint clears its note and makes its waiting deliveries due now."""
    require_permission(acting_user, CHANGE_PERMISSION, doing="Changing webhook endpoints")
    reason = clean_reason(reason)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    _require_tenant_access(acting_user, endpoint.tenant_id)
    was_active = endpoint.active
    for name, value in changes.items():
        if name not in ("url", "events", "description", "tenant_id", "active"):
            raise InvalidInput(f"A webhook endpoint has no changeable field {name!r}.", field=name)
        setattr(endpoint, name, value.strip() if name in ("url", "tenant_id") else value)
    _refuse_problems(endpoint)
    _require_tenant_access(acting_user, endpoint.tenant_id)
    endpoint.events = _ordered_events(endpoint.events)
    action = "changed"
    if endpoint.active and not was_active:
        action = "enabled"
        endpoint.disabled_reason = ""
        endpoint.consecutive_given_up = 0
        now = timezone.now()
        WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=now
        )
        transaction.on_commit(lambda endpoint_id=endpoint.pk: _enqueue_due(endpoint_id=endpoint_id))
    elif was_active and not endpoint.active:
        action = "disabled"
    record_change(endpoint, user=acting_user, action=action, reason=reason)
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, acting_user, reason: str = "") -> None:
    """Delete an endpoint and its delivery log (disable it instead to keep the log)."""
    require_permission(acting_user, DELETE_PERMISSION, doing="Deleting webhook endpoints")
    _require_tenant_access(acting_user, endpoint.tenant_id)
    record_change(endpoint, user=acting_user, action="deleted", reason=clean_reason(reason))
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint, acting_user) -> WebhookDelivery:
    """Queue a `webhook.test` event to this one endpoint (whatever it subscribes to), sent like any other."""
    require_permission(acting_user, CHANGE_PERMISSION, doing="Sending a test event to a webhook endpoint")
    _require_tenant_access(acting_user, endpoint.tenant_id)
    if not endpoint.active:
        raise TransitionRefused(ENDPOINT_INACTIVE.format(pk=endpoint.pk))
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=TEST_EVENT,
        tenant_id=endpoint.tenant_id,
        subject=f"test by {acting_user.get_username()}",
        payload=envelope(
            TEST_EVENT,
            tenant_id=endpoint.tenant_id,
            payload={"object": "webhook", "id": endpoint.pk, "url": api_url(f"/api/v1/webhooks/{endpoint.pk}/")},
            at=now,
        ),
        webhook_id=new_webhook_id(),
        next_attempt_at=now,
    )
    transaction.on_commit(lambda delivery_id=delivery.pk: webhook_delivery_enqueue(delivery_id=delivery_id))
    return delivery


@transaction.atomic
def webhook_delivery_retry(*, delivery: WebhookDelivery, acting_user) -> WebhookDelivery:
    """Send a pending or given-up delivery now (one more attempt for a given-up one)."""
    require_permission(acting_user, RETRY_PERMISSION, doing="Retrying webhook deliveries")
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    _require_tenant_access(acting_user, delivery.endpoint.tenant_id)
    if not can_proceed(delivery.retry):
        raise TransitionRefused(DELIVERY_SUCCEEDED.format(pk=delivery.pk))
    if not delivery.endpoint.active:
        raise TransitionRefused(ENDPOINT_INACTIVE.format(pk=delivery.endpoint_id))
    delivery.retry(at=timezone.now())
    delivery.save()
    transaction.on_commit(lambda delivery_id=delivery.pk: webhook_delivery_enqueue(delivery_id=delivery_id))
    return delivery


def webhook_delivery_enqueue(*, delivery_id: int) -> None:
    async_task(
        "webhooks_app.tasks.send_webhook_delivery",
        delivery_id,
        task_name=f"webhook-delivery-{delivery_id}-{new_webhook_id()[4:12]}",
        group="webhooks",
    )


def _due():
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now(), endpoint__active=True
    )


def _enqueue_due(*, endpoint_id: int | None = None) -> list[int]:
    due = _due()
    if endpoint_id is not None:
        due = due.filter(endpoint_id=endpoint_id)
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[: settings.SYNTHGOV_WEBHOOK_SWEEP_LIMIT])
    for delivery_id in ids:
        webhook_delivery_enqueue(delivery_id=delivery_id)
    return ids


def webhook_deliveries_send_due() -> list[int]:
    """Queue a send of every delivery due (retries, and first attempts whose task was lost); run
    every minute by each cluster's scheduler. A delivery queued twice is sent once (see the claim)."""
    return _enqueue_due()


def retry_delay(attempts: int) -> timedelta:
    """How long after failed attempt number `attempts` (1, 2, ...) the next one is due."""
    seconds = settings.SYNTHGOV_WEBHOOK_RETRY_SECONDS * 2 ** min(attempts - 1, 40)
    return timedelta(seconds=min(seconds, settings.SYNTHGOV_WEBHOOK_RETRY_MAX_SECONDS))


def claim_duration() -> timedelta:
    """How long a claimed delivery is not picked up again: longer than one attempt can take."""
    return timedelta(seconds=2 * settings.SYNTHGOV_WEBHOOK_TIMEOUT_SECONDS + 60)


def _claim(delivery_id: int) -> bool:
    """Take a due delivery for one attempt: of two workers handed it at once, one sends it."""
    now = timezone.now()
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__in=WebhookEndpoint.objects.filter(active=True),
        ).update(next_attempt_at=now + claim_duration())
    )


def webhook_delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt of a due delivery (None when it is not due, finished, or another worker has it)."""
    if not _claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    at = timezone.now()
    outcome = sending.post(
        url=endpoint.url, secret=endpoint.secret, webhook_id=delivery.webhook_id, payload=delivery.payload
    )
    return _record_attempt(delivery_id, at=at, outcome=outcome, had_given_up=endpoint.consecutive_given_up > 0)


@transaction.atomic
def _record_attempt(delivery_id: int, *, at, outcome: sending.Outcome, had_given_up: bool) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.attempts += 1
    delivery.last_attempt_at = at
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=at,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.response_excerpt,
        error=outcome.error,
    )
    now = timezone.now()
    if delivery.status != WebhookDelivery.Status.PENDING:
        pass  # finished meanwhile (an operator's retry raced this one): the attempt is only logged
    elif outcome.succeeded:
        delivery.succeed(at=now)
        if had_given_up:
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_given_up=0)
    elif delivery.attempts >= settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS:
        delivery.give_up(at=now)
        _count_given_up(delivery.endpoint_id, outcome=outcome, at=now)
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.save()
    return delivery


def _count_given_up(endpoint_id: int, *, outcome: sending.Outcome, at) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.consecutive_given_up = F("consecutive_given_up") + 1
    endpoint.save(update_fields=["consecutive_given_up"])
    endpoint.refresh_from_db(fields=["consecutive_given_up"])
    limit = settings.SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP
    if endpoint.active and limit and endpoint.consecutive_given_up >= limit:
        last = f"HTTP {outcome.status_code}" if outcome.status_code is not None else outcome.error or "none"
        endpoint.active = False
        endpoint.disabled_reason = DISABLED_NOTE.format(
            at=at.isoformat(timespec="seconds"),
            count=endpoint.consecutive_given_up,
            attempts=settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS,
            last=last[:200],
        )
        record_change(endpoint, user=None, action="disabled", reason=endpoint.disabled_reason)
        endpoint.save()
        logger.warning("Webhook endpoint %s disabled: %s", endpoint.pk, endpoint.disabled_reason)


def due_filter() -> Q:
    """The deliveries the sweep would queue now (for the admin's and the bench's counts)."""
    return Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now(), endpoint__active=True)
