"""A service's refusal while the admin saves or deletes (synthgov.admin_tools.ServiceRefusalsMixin):
the page again with the refusal as a form error and what was typed, or a message after a delete;
never a 500, and nothing the request wrote is kept."""

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils.html import escape

from collections_app.models import Collection
from collections_app.services.collections import CROSS_TENANT_NEEDS_ALL_TENANTS
from qa_app import services as qa_services
from qa_app.models import QAPair
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from templates_app import services as template_services
from templates_app.models import CONTENT_FIELDS, TemplateVersion
from tests.factories import CollectionFactory, collection_admin_form
from webhooks_app import services as webhook_services
from webhooks_app.models import WebhookEndpoint

PUBLISHED_MEANWHILE = "Version 1 was published while you edited it; start a new draft from it instead."
NOT_YOURS = "You may not write pairs for tenant 'acme' any more."
TENANT_REFUSED = "Tenant 'acme' no longer takes webhook endpoints."
DELETE_REFUSED = "This endpoint still has deliveries in flight; disable it first."
QUESTION_TYPED = "What is {{ a }} plus {{ b }}, typed before the refusal?"


def form_of(response):
    return response.context["adminform"].form


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def shown_as_form_error(response, message: str) -> bool:
    return f"<li>{escape(message)}</li>" in response.content.decode()


# --- template version (draft save) ---


def draft_form(version, **overrides) -> dict:
    values = {name: getattr(version, name) for name in CONTENT_FIELDS}
    form = {
        name: json.dumps(value) if isinstance(value, dict | list) else (value or "") for name, value in values.items()
    }
    return {**form, **overrides}


def draft_change_url(version) -> str:
    return reverse("admin:templates_app_templateversion_change", args=[version.pk])


def test_a_draft_save_the_service_refuses_is_a_form_error_and_keeps_what_was_typed(
    client, author, draft_version, monkeypatch
):
    def refuse(**kwargs):
        raise TransitionRefused(PUBLISHED_MEANWHILE)

    monkeypatch.setattr(template_services, "template_version_save_draft", refuse)
    client.force_login(author)

    response = client.post(draft_change_url(draft_version), draft_form(draft_version, question_template=QUESTION_TYPED))

    assert response.status_code == 200
    assert form_of(response).non_field_errors() == [PUBLISHED_MEANWHILE]
    assert shown_as_form_error(response, PUBLISHED_MEANWHILE)
    assert form_of(response)["question_template"].value() == QUESTION_TYPED
    assert escape(QUESTION_TYPED) in response.content.decode()


def test_a_draft_save_refused_after_the_service_wrote_keeps_nothing(client, author, draft_version, monkeypatch):
    save_draft = template_services.template_version_save_draft

    def save_then_refuse(**kwargs):
        save_draft(**kwargs)
        raise TransitionRefused(PUBLISHED_MEANWHILE)

    monkeypatch.setattr(template_services, "template_version_save_draft", save_then_refuse)
    history_rows, log_rows = draft_version.history.count(), LogEntry.objects.count()
    client.force_login(author)

    response = client.post(draft_change_url(draft_version), draft_form(draft_version, question_template=QUESTION_TYPED))

    assert response.status_code == 200
    assert TemplateVersion.objects.get(pk=draft_version.pk).question_template == draft_version.question_template
    assert (draft_version.history.count(), LogEntry.objects.count()) == (history_rows, log_rows)


def test_a_new_draft_refused_on_a_field_shows_the_refusal_on_that_field(client, author, approved_version, monkeypatch):
    problem = "question_template: refused by the service"

    def refuse(**kwargs):
        raise InvalidInput(problem, field="question_template")

    monkeypatch.setattr(template_services, "template_version_save_draft", refuse)
    client.force_login(author)
    form = draft_form(approved_version, template=approved_version.template.pk, question_template=QUESTION_TYPED)

    response = client.post(reverse("admin:templates_app_templateversion_add"), form)

    assert response.status_code == 200
    assert form_of(response).errors["question_template"] == [problem]
    assert form_of(response).non_field_errors() == []
    assert TemplateVersion.objects.count() == 1


# --- collection (a real refusal: the form cannot see it) ---


def test_making_a_collection_cross_tenant_without_seeing_every_tenant_is_a_form_error_and_saves_nothing(
    client, approver
):
    # An approver may set cross_tenant (the form offers it) but sees only their tenants: the
    # service refuses, as only someone who sees every tenant may act on a cross-tenant collection.
    collection = CollectionFactory(name="Before")
    history_rows = collection.history.count()
    client.force_login(approver)

    response = client.post(
        reverse("admin:collections_app_collection_change", args=[collection.pk]),
        collection_admin_form(collection, name="Typed name", cross_tenant="on"),
    )

    assert response.status_code == 200
    message = CROSS_TENANT_NEEDS_ALL_TENANTS.format(slug=collection.slug)
    assert form_of(response).non_field_errors() == [message]
    assert shown_as_form_error(response, message)
    assert form_of(response)["name"].value() == "Typed name"
    stored = Collection.objects.get(pk=collection.pk)
    assert (stored.name, stored.cross_tenant) == ("Before", False)
    assert collection.history.count() == history_rows


# --- webhook endpoint ---


@pytest.fixture
def endpoint_form(settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True
    return {"url": "http://127.0.0.1:9/typed-hook", "events": ["job.succeeded"], "tenant_id": "acme", "active": "on"}


def test_adding_a_webhook_endpoint_the_service_refuses_shows_the_refusal_on_its_field(
    client, operator, endpoint_form, monkeypatch
):
    def refuse(**kwargs):
        raise PermissionRefused(TENANT_REFUSED, field="tenant_id")

    monkeypatch.setattr(webhook_services, "webhook_endpoint_create", refuse)
    client.force_login(operator)

    response = client.post(reverse("admin:webhooks_app_webhookendpoint_add"), endpoint_form)

    assert response.status_code == 200
    assert form_of(response).errors["tenant_id"] == [TENANT_REFUSED]
    assert form_of(response)["url"].value() == "http://127.0.0.1:9/typed-hook"
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookEndpoint.history.exists()


@pytest.fixture
def endpoint(operator, settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True
    endpoint, _ = webhook_services.webhook_endpoint_create(
        acting_user=operator, url="http://127.0.0.1:9/hook", events=["job.succeeded"], tenant_id="acme"
    )
    return endpoint


@pytest.fixture
def delete_then_refuse(monkeypatch):
    delete = webhook_services.webhook_endpoint_delete

    def refuse(*, endpoint, acting_user, reason=""):
        delete(endpoint=endpoint, acting_user=acting_user, reason=reason)
        raise TransitionRefused(DELETE_REFUSED)

    monkeypatch.setattr(webhook_services, "webhook_endpoint_delete", refuse)


def test_a_refused_delete_shows_the_refusal_on_the_objects_page_and_keeps_it(
    client, operator, endpoint, delete_then_refuse
):
    history_rows, log_rows = endpoint.history.count(), LogEntry.objects.count()
    client.force_login(operator)

    response = client.post(
        reverse("admin:webhooks_app_webhookendpoint_delete", args=[endpoint.pk]), {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("admin:webhooks_app_webhookendpoint_change", args=[endpoint.pk]), 302)]
    assert messages_of(response) == [DELETE_REFUSED]
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert (endpoint.history.count(), LogEntry.objects.count()) == (history_rows, log_rows)


def test_a_refused_delete_selected_keeps_every_selected_object(client, operator, endpoint, delete_then_refuse):
    other, _ = webhook_services.webhook_endpoint_create(
        acting_user=operator, url="http://127.0.0.1:9/other", events=["job.failed"], tenant_id="acme"
    )
    client.force_login(operator)

    response = client.post(
        reverse("admin:webhooks_app_webhookendpoint_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [endpoint.pk, other.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == [DELETE_REFUSED]
    assert WebhookEndpoint.objects.count() == 2


# --- QA pair ---


def test_adding_a_qa_pair_the_service_refuses_is_a_form_error_and_stores_no_pair(client, make_user, monkeypatch):
    def refuse(**kwargs):
        raise PermissionRefused(NOT_YOURS)

    monkeypatch.setattr(qa_services, "qa_pair_create", refuse)
    client.force_login(make_user("writer", "Operators", "Reviewers"))
    form = {"question": "A question typed by hand?", "answer": "An answer.", "locale": "en", "tenant_id": "acme"}

    response = client.post(reverse("admin:qa_app_qapair_add"), {**form, "tags": "[]"})

    assert response.status_code == 200
    assert form_of(response).non_field_errors() == [NOT_YOURS]
    assert form_of(response)["question"].value() == "A question typed by hand?"
    assert not QAPair.objects.exists()
