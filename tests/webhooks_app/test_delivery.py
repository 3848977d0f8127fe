"""Sending: retries with backoff after a failed attempt, giving up after the last one, disabling an
endpoint that keeps failing, one send per due delivery, and nothing at all when the announcing
transaction rolls back."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from templates_app.services import template_version_publish
from webhooks_app.events import JOB_SUCCEEDED, TEMPLATE_VERSION_PUBLISHED, announce
from webhooks_app.models import WebhookDelivery, WebhookEndpoint
from webhooks_app.sending import new_secret
from webhooks_app.services import (
    DISABLED_NOTE,
    retry_delay,
    webhook_deliveries_send_due,
    webhook_delivery_send,
    webhook_endpoint_update,
)


@pytest.fixture
def announced(django_capture_on_commit_callbacks):
    """Announce an event as a service would, and run its first send after commit."""

    def announce_one(event=TEMPLATE_VERSION_PUBLISHED, tenant_id=""):
        with django_capture_on_commit_callbacks(execute=True):
            announce(event, tenant_id=tenant_id, subject="a test", payload={"object": "test"})

    return announce_one


def make_due(delivery: WebhookDelivery) -> None:
    """Time passes: the delivery's next attempt is due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def sweep(django_capture_on_commit_callbacks) -> list[int]:
    with django_capture_on_commit_callbacks(execute=True):
        return webhook_deliveries_send_due()


def attempts_of(delivery: WebhookDelivery) -> list[tuple[int, int | None]]:
    return list(delivery.attempt_log.values_list("number", "status_code"))


def test_a_failed_attempt_is_retried_after_the_first_backoff(receiver, subscribe, announced):
    receiver.responses = [500]
    subscribe()
    before = timezone.now()

    announced()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert attempts_of(delivery) == [(1, 500)]
    assert before + timedelta(seconds=30) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)


def test_a_retry_after_a_500_succeeds_with_the_same_webhook_id(
    receiver, subscribe, announced, django_capture_on_commit_callbacks
):
    receiver.responses = [500]
    subscribe()
    announced()
    delivery = WebhookDelivery.objects.get()
    make_due(delivery)

    assert sweep(django_capture_on_commit_callbacks) == [delivery.pk]

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert attempts_of(delivery) == [(1, 500), (2, 200)]
    assert [request.verified for request in receiver.received] == [True, True]
    assert {request.headers["webhook-id"] for request in receiver.received} == {delivery.webhook_id}


def test_the_sweep_leaves_a_delivery_whose_retry_is_not_due(
    receiver, subscribe, announced, django_capture_on_commit_callbacks
):
    receiver.responses = [500]
    subscribe()
    announced()

    assert sweep(django_capture_on_commit_callbacks) == []
    assert len(receiver.received) == 1


def test_each_attempt_logs_its_status_latency_and_the_start_of_the_answer(receiver, subscribe, announced):
    receiver.responses = [503]
    subscribe()

    announced()

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.status_code == 503
    assert attempt.latency_ms >= 0
    assert attempt.response_excerpt == '{"ok": false, "verified": true}'
    assert attempt.error == ""


def test_the_backoff_doubles_from_30_seconds_up_to_4_hours():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 10, 11, 14)] == [
        30,
        60,
        120,
        240,
        14_400,
        14_400,
        14_400,
    ]


def test_the_default_retries_span_about_a_day(settings):
    waits = sum((retry_delay(n) for n in range(1, settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS)), timedelta())

    assert timedelta(hours=22) <= waits <= timedelta(hours=26)


def test_a_delivery_is_given_up_after_its_last_attempt(
    receiver, subscribe, announced, settings, django_capture_on_commit_callbacks
):
    settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.responses = [500, 500, 500, 200]
    endpoint = subscribe()
    announced()
    delivery = WebhookDelivery.objects.get()
    for _ in range(2):
        make_due(delivery)
        sweep(django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert (delivery.attempts, delivery.next_attempt_at) == (3, None)
    assert delivery.finished_at is not None
    assert attempts_of(delivery) == [(1, 500), (2, 500), (3, 500)]
    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_given_up) == (True, 1)


def test_an_endpoint_whose_deliveries_keep_being_given_up_is_disabled_with_a_note(
    receiver, subscribe, announced, settings
):
    settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS = 1
    settings.SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP = 2
    receiver.responses = [500, 502]
    endpoint = subscribe()

    announced()
    endpoint.refresh_from_db()
    assert endpoint.active

    announced()
    endpoint.refresh_from_db()
    assert not endpoint.active
    prefix = DISABLED_NOTE.split("{at}")[0]
    assert endpoint.disabled_reason.startswith(prefix)
    assert "2 deliveries in a row were given up after 1 attempts each (last answer: HTTP 502)" in (
        endpoint.disabled_reason
    )
    assert endpoint.history.first().history_change_reason.startswith("disabled: " + prefix)

    announced()
    assert WebhookDelivery.objects.count() == 2
    assert len(receiver.received) == 2


def test_a_success_between_given_up_deliveries_keeps_the_endpoint_enabled(receiver, subscribe, announced, settings):
    settings.SYNTHGOV_WEBHOOK_MAX_ATTEMPTS = 1
    settings.SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP = 2
    receiver.responses = [500, 200, 500]
    endpoint = subscribe()

    for _ in range(3):
        announced()

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.consecutive_given_up) == (True, 1)


def test_enabling_a_disabled_endpoint_sends_what_waited(
    receiver, subscribe, announced, operator, django_capture_on_commit_callbacks
):
    receiver.responses = [500]
    endpoint = subscribe()
    announced()
    webhook_endpoint_update(endpoint=endpoint, acting_user=operator, active=False)
    delivery = WebhookDelivery.objects.get()
    make_due(delivery)
    assert sweep(django_capture_on_commit_callbacks) == []

    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_update(endpoint=endpoint, acting_user=operator, active=True)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert attempts_of(delivery) == [(1, 500), (2, 200)]


def test_a_delivery_handed_to_two_workers_is_sent_once(receiver, subscribe):
    subscribe()
    [delivery_id] = announce(TEMPLATE_VERSION_PUBLISHED, tenant_id="", subject="a test", payload={})

    first = webhook_delivery_send(delivery_id=delivery_id)
    second = webhook_delivery_send(delivery_id=delivery_id)

    assert first.status == WebhookDelivery.Status.SUCCEEDED
    assert second is None
    assert len(receiver.received) == 1


def test_nothing_is_delivered_when_the_announcing_transaction_rolls_back(
    receiver, subscribe, draft_version, approver, django_capture_on_commit_callbacks
):
    subscribe()

    def publish_then_fail():
        with transaction.atomic():
            template_version_publish(version=draft_version, acting_user=approver)
            raise RuntimeError("a later step of the same transaction failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        publish_then_fail()

    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_an_unreachable_receiver_is_a_failed_attempt_with_the_error(subscribe, receiver, announced):
    receiver.server.shutdown()
    receiver.server.server_close()
    subscribe()

    announced()

    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempt_log.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectError")


def test_a_request_signed_with_another_secret_fails_the_receivers_check(receiver, subscribe, announced):
    subscribe()
    receiver.secret = new_secret()

    announced()

    assert [request.verified for request in receiver.received] == [False]
    assert attempts_of(WebhookDelivery.objects.get()) == [(1, 400)]


def test_an_inactive_endpoint_gets_no_delivery(receiver, subscribe, announced, operator):
    endpoint = subscribe()
    webhook_endpoint_update(endpoint=endpoint, acting_user=operator, active=False)

    announced()

    assert not WebhookDelivery.objects.exists()


def test_an_event_without_a_tenant_reaches_tenant_endpoints_and_a_tenants_event_only_its_own(
    receiver, subscribe, announced
):
    every = subscribe()
    acme = subscribe(tenant_id="acme")
    globex = subscribe(tenant_id="globex")

    announced(TEMPLATE_VERSION_PUBLISHED, tenant_id="")
    announced(JOB_SUCCEEDED, tenant_id="acme")

    counts = {endpoint.pk: endpoint.deliveries.count() for endpoint in WebhookEndpoint.objects.all()}
    assert counts == {every.pk: 2, acme.pk: 2, globex.pk: 1}


def test_an_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError, match=r"Unknown webhook event 'job\.exploded'"):
        announce("job.exploded", tenant_id="", subject="", payload={})
