"""Webhook endpoints belong to a tenant (or to every tenant): a member of one tenant manages only
that tenant's endpoints; an endpoint for every tenant's events is for users who see every tenant.
Lists, details and actions of other tenants' endpoints and deliveries are in
tests/tenants_app (the two-tenant matrix)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from synthgov.errors import PermissionRefused
from tenants_app.services import NOT_A_MEMBER
from webhooks_app.admin import EVERY_TENANT
from webhooks_app.models import WebhookEndpoint
from webhooks_app.services import EVERY_TENANT_NEEDS_VIEW_ALL, webhook_endpoint_create, webhook_endpoint_update

WEBHOOKS = "/api/v1/webhooks/"


@pytest.fixture
def member(make_user):
    """An operator of tenant acme only."""
    return make_user("acme-operator", "Operators", tenants=("acme",))


def post(user, body):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(WEBHOOKS, body, format="json")


def test_a_member_adds_an_endpoint_for_their_tenant(member, receiver):
    answer = post(member, {"url": receiver.url, "events": ["job.succeeded"], "tenant_id": "acme"})

    assert answer.status_code == 201, answer.json()
    assert WebhookEndpoint.objects.get().tenant_id == "acme"


def test_a_member_may_not_add_an_endpoint_for_every_tenant(member, receiver):
    answer = post(member, {"url": receiver.url, "events": ["job.succeeded"]})

    assert answer.status_code == 403
    assert answer.json()["detail"] == EVERY_TENANT_NEEDS_VIEW_ALL
    assert not WebhookEndpoint.objects.exists()


def test_a_member_may_not_add_an_endpoint_for_another_tenant(member, receiver):
    answer = post(member, {"url": receiver.url, "events": ["job.succeeded"], "tenant_id": "globex"})

    assert answer.status_code == 403
    assert answer.json()["detail"] == NOT_A_MEMBER.format(key="globex")
    assert not WebhookEndpoint.objects.exists()


def test_a_member_may_not_move_their_endpoint_to_another_tenant(member, receiver):
    endpoint, _ = webhook_endpoint_create(
        acting_user=member, url=receiver.url, events=["job.succeeded"], tenant_id="acme"
    )

    with pytest.raises(PermissionRefused, match="globex"):
        webhook_endpoint_update(endpoint=endpoint, acting_user=member, tenant_id="globex")

    endpoint.refresh_from_db()
    assert endpoint.tenant_id == "acme"


def test_a_user_who_sees_every_tenant_adds_an_endpoint_for_every_tenant(operator, receiver):
    answer = post(operator, {"url": receiver.url, "events": ["job.succeeded"]})

    assert answer.status_code == 201, answer.json()
    assert WebhookEndpoint.objects.get().tenant_id == ""


def test_the_admin_form_offers_a_member_only_their_tenants(client, member):
    client.force_login(member)

    form = client.get(reverse("admin:webhooks_app_webhookendpoint_add")).context["adminform"].form

    assert form.fields["tenant_id"].choices == [("acme", "acme")]


def test_the_admin_form_offers_every_tenant_to_who_sees_every_tenant(client, operator):
    client.force_login(operator)

    form = client.get(reverse("admin:webhooks_app_webhookendpoint_add")).context["adminform"].form

    assert form.fields["tenant_id"].choices[0] == ("", EVERY_TENANT)
    assert ("acme", "acme") in form.fields["tenant_id"].choices


def test_the_admin_form_refuses_an_endpoint_for_every_tenant_to_a_member(client, member, receiver):
    client.force_login(member)

    response = client.post(
        reverse("admin:webhooks_app_webhookendpoint_add"),
        {"url": receiver.url, "events": ["job.succeeded"], "tenant_id": "", "active": "on"},
    )

    assert response.status_code == 200
    assert "tenant_id" in response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()
