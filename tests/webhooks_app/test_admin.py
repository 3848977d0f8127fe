"""The admin: the secret on the page right after an endpoint is added and on no other page, the
SSRF guard as a form error, the delivery log read-only with a retry action."""

import pytest
from django.urls import reverse

from webhooks_app.addresses import LOOPBACK_HINT, URL_REFUSED
from webhooks_app.models import WebhookDelivery, WebhookEndpoint
from webhooks_app.services import webhook_endpoint_send_test

ADD = reverse("admin:webhooks_app_webhookendpoint_add")


@pytest.fixture
def signed_in(client, operator):
    client.force_login(operator)
    return client


def test_adding_an_endpoint_shows_its_secret_once(signed_in, receiver):
    answer = signed_in.post(ADD, {"url": receiver.url, "events": ["job.succeeded", "job.failed"], "active": "on"})

    endpoint = WebhookEndpoint.objects.get()
    page = answer.content.decode()
    assert answer.status_code == 200
    assert endpoint.secret in page
    assert "it is not shown again" in page
    assert endpoint.events == ["job.succeeded", "job.failed"]
    assert endpoint.created_by.username == "operator"
    for url in (
        reverse("admin:webhooks_app_webhookendpoint_change", args=[endpoint.pk]),
        reverse("admin:webhooks_app_webhookendpoint_changelist"),
        reverse("admin:webhooks_app_webhookendpoint_history", args=[endpoint.pk]),
    ):
        again = signed_in.get(url)
        assert again.status_code == 200
        assert endpoint.secret not in again.content.decode(), url


def test_a_loopback_url_is_a_form_error_and_nothing_is_stored(signed_in, settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = False

    answer = signed_in.post(ADD, {"url": "http://127.0.0.1:8000/hooks", "events": ["job.succeeded"]})

    assert answer.status_code == 200
    message = URL_REFUSED.format(host="127.0.0.1", address="127.0.0.1", kind="loopback", hint=LOOPBACK_HINT)
    assert answer.context["adminform"].form.errors["url"] == [message]
    assert not WebhookEndpoint.objects.exists()


def test_a_nul_in_the_description_is_a_form_error(signed_in, receiver):
    answer = signed_in.post(ADD, {"url": receiver.url, "events": ["job.succeeded"], "description": "a\x00b"})

    assert "description" in answer.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_changing_an_endpoint_goes_through_the_service_and_keeps_the_secret(signed_in, subscribe):
    endpoint = subscribe("job.succeeded")
    url = reverse("admin:webhooks_app_webhookendpoint_change", args=[endpoint.pk])

    inline = {"deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"}
    answer = signed_in.post(url, {"url": endpoint.url, "events": ["release.published"], "description": "CI", **inline})

    assert answer.status_code == 302
    changed = WebhookEndpoint.objects.get()
    assert (changed.events, changed.active, changed.secret) == (["release.published"], False, endpoint.secret)
    assert changed.history.first().history_change_reason == "disabled"


def test_the_delivery_log_cannot_be_added_to_or_edited(signed_in):
    assert signed_in.get(reverse("admin:webhooks_app_webhookdelivery_add")).status_code == 403
    assert signed_in.get(reverse("admin:webhooks_app_webhookattempt_add")).status_code == 403


def test_the_retry_action_sends_a_delivery_now(
    signed_in, subscribe, operator, receiver, django_capture_on_commit_callbacks
):
    receiver.responses = [500]
    endpoint = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_endpoint_send_test(endpoint=endpoint, acting_user=operator)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            reverse("admin:webhooks_app_webhookdelivery_changelist"),
            {"action": "retry_now", "_selected_action": [delivery.pk]},
        )

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    page = signed_in.get(reverse("admin:webhooks_app_webhookdelivery_change", args=[delivery.pk])).content.decode()
    assert "500" in page
    assert delivery.webhook_id in page


def test_the_endpoint_page_links_its_deliveries(signed_in, subscribe, operator, django_capture_on_commit_callbacks):
    endpoint = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_send_test(endpoint=endpoint, acting_user=operator)

    page = signed_in.get(reverse("admin:webhooks_app_webhookendpoint_change", args=[endpoint.pk])).content.decode()

    assert f"?endpoint__id__exact={endpoint.pk}" in page
    assert "1 succeeded" in page


def test_the_send_test_event_action_queues_a_test_delivery(
    signed_in, subscribe, receiver, django_capture_on_commit_callbacks
):
    endpoint = subscribe("job.failed")

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            reverse("admin:webhooks_app_webhookendpoint_changelist"),
            {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        )

    assert receiver.events() == ["webhook.test"]
