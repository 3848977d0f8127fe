"""/api/v1/webhooks/ and /api/v1/webhook-deliveries/: the admin's model permissions, the secret in
the creation's answer only, the SSRF guard and every input capped and NUL-checked (400, nothing stored)."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from synthgov.errors import permission_missing_message
from webhooks_app.addresses import LOOPBACK_HINT, URL_REFUSED
from webhooks_app.models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WebhookDelivery, WebhookEndpoint
from webhooks_app.services import DELIVERY_SUCCEEDED, ENDPOINT_INACTIVE

WEBHOOKS = "/api/v1/webhooks/"
DELIVERIES = "/api/v1/webhook-deliveries/"


@pytest.fixture
def api():
    def client(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client


@pytest.fixture
def created(api, operator, receiver):
    """An endpoint created over the API, and the answer that showed its secret."""
    answer = api(operator).post(WEBHOOKS, {"url": receiver.url, "events": ["job.succeeded"]}, format="json")
    assert answer.status_code == 201, answer.json()
    receiver.secret = answer.json()["secret"]
    return answer.json()


def test_creating_an_endpoint_answers_its_secret_once(created):
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])

    assert created["secret"].startswith("whsec_")
    assert created["secret"] == endpoint.secret
    assert created["events"] == ["job.succeeded"]
    assert created["active"] is True


def test_no_later_answer_shows_the_secret(api, operator, created):
    client = api(operator)
    answers = [
        client.get(WEBHOOKS),
        client.get(f"{WEBHOOKS}{created['id']}/"),
        client.patch(f"{WEBHOOKS}{created['id']}/", {"description": "CI hooks"}, format="json"),
        client.put(f"{WEBHOOKS}{created['id']}/", {"url": created["url"], "events": ["job.failed"]}, format="json"),
        client.get(f"{WEBHOOKS}{created['id']}/history/"),
    ]

    for answer in answers:
        assert answer.status_code == 200, answer.json()
        assert created["secret"] not in answer.content.decode()
        assert "secret" not in answer.content.decode()


def test_the_secret_stays_out_of_the_endpoints_history(api, operator, created):
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])

    assert not hasattr(endpoint.history.first(), "secret")


def test_a_loopback_url_answers_400_naming_the_url(api, operator, settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = False

    answer = api(operator).post(WEBHOOKS, {"url": "http://127.0.0.1:8000/", "events": ["job.failed"]}, format="json")

    message = URL_REFUSED.format(host="127.0.0.1", address="127.0.0.1", kind="loopback", hint=LOOPBACK_HINT)
    assert answer.status_code == 400
    assert answer.json() == {"detail": message, "url": [message]}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "https://93.184.215.14/" + "a" * MAX_URL_CHARS),
        ("url", "https://93.184.215.14/\x00"),
        ("description", "d" * (MAX_DESCRIPTION_CHARS + 1)),
        ("description", "CI\x00hooks"),
        ("tenant_id", "t" * 101),
        ("tenant_id", "acme\x00"),
        ("events", ["job.exploded"]),
        ("events", []),
    ],
)
def test_an_invalid_input_answers_400_naming_the_field_and_stores_nothing(api, operator, field, value):
    body = {"url": "https://93.184.215.14/hooks", "events": ["job.succeeded"], field: value}

    answer = api(operator).post(WEBHOOKS, body, format="json")

    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert not WebhookEndpoint.objects.exists()


def test_a_user_who_may_only_view_cannot_add_an_endpoint(api, make_user):
    viewer = make_user("viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookendpoint"))

    listed = api(viewer).get(WEBHOOKS)
    refused = api(viewer).post(WEBHOOKS, {"url": "https://93.184.215.14/", "events": ["job.failed"]}, format="json")

    assert listed.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["detail"] == permission_missing_message("This", "webhooks_app.add_webhookendpoint")


def test_a_user_without_the_view_permission_cannot_list_endpoints(api, nobody):
    answer = api(nobody).get(WEBHOOKS)

    assert answer.status_code == 403
    assert answer.json()["detail"] == permission_missing_message("This", "webhooks_app.view_webhookendpoint")


def test_a_reviewer_cannot_read_the_delivery_log(api, reviewer):
    assert api(reviewer).get(DELIVERIES).status_code == 403


def test_the_test_action_delivers_a_signed_test_event(
    api, operator, created, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = api(operator).post(f"{WEBHOOKS}{created['id']}/test/")

    assert answer.status_code == 202
    assert answer.json()["event"] == "webhook.test"
    assert receiver.events() == ["webhook.test"]


def test_an_endpoints_deliveries_list_and_a_delivery_shows_its_attempts(
    api, operator, created, receiver, django_capture_on_commit_callbacks
):
    receiver.responses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        api(operator).post(f"{WEBHOOKS}{created['id']}/test/")
    delivery = WebhookDelivery.objects.get()

    listed = api(operator).get(f"{WEBHOOKS}{created['id']}/deliveries/")
    detail = api(operator).get(f"{DELIVERIES}{delivery.pk}/")

    assert [row["id"] for row in listed.json()["results"]] == [delivery.pk]
    assert detail.json()["status"] == "pending"
    [attempt] = detail.json()["attempt_log"]
    assert (attempt["number"], attempt["status_code"]) == (1, 500)


def test_retry_sends_a_pending_delivery_now(api, operator, created, receiver, django_capture_on_commit_callbacks):
    receiver.responses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        api(operator).post(f"{WEBHOOKS}{created['id']}/test/")
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        answer = api(operator).post(f"{DELIVERIES}{delivery.pk}/retry/")

    assert answer.status_code == 202
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_retry_of_a_received_delivery_answers_409(api, operator, created, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api(operator).post(f"{WEBHOOKS}{created['id']}/test/")
    delivery = WebhookDelivery.objects.get()

    answer = api(operator).post(f"{DELIVERIES}{delivery.pk}/retry/")

    assert answer.status_code == 409
    assert answer.json()["detail"] == DELIVERY_SUCCEEDED.format(pk=delivery.pk)


def test_a_test_event_to_a_disabled_endpoint_answers_409(api, operator, created):
    api(operator).patch(f"{WEBHOOKS}{created['id']}/", {"active": False}, format="json")

    answer = api(operator).post(f"{WEBHOOKS}{created['id']}/test/")

    assert answer.status_code == 409
    assert answer.json()["detail"] == ENDPOINT_INACTIVE.format(pk=created["id"])


def test_deleting_an_endpoint_answers_204(api, operator, created):
    assert api(operator).delete(f"{WEBHOOKS}{created['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_api_clients_may_manage_webhooks(api, make_user, receiver):
    client = make_user("api-client", "API clients")

    answer = api(client).post(
        WEBHOOKS, {"url": receiver.url, "events": ["release.published"], "tenant_id": "acme"}, format="json"
    )

    assert answer.status_code == 201, answer.json()
