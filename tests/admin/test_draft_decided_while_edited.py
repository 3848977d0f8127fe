"""An author saves a draft that an approver published (or archived) after the author opened it: the
published version stays as it is, and the author's edits become a new draft instead of a 403 that
loses them (templates_app.admin.TemplateVersionAdmin)."""

import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from templates_app import services as template_services
from templates_app.models import CONTENT_FIELDS, TemplateVersion
from templates_app.services import template_version_archive, template_version_publish
from tests.concurrency import run_concurrently

TYPED = "What is {{ a }} plus {{ b }}, typed while it was published?"


def change_url(version) -> str:
    return reverse("admin:templates_app_templateversion_change", args=[version.pk])


def edits_of(version, **overrides) -> dict:
    form = {}
    for name in CONTENT_FIELDS:
        value = getattr(version, name)
        form[name] = json.dumps(value) if isinstance(value, dict | list) else (value or "")
    return {**form, "_continue": "Save and continue editing", **overrides}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def test_edits_of_a_draft_published_meanwhile_become_the_next_draft(client, author, approver, draft_version):
    client.force_login(author)
    edits = edits_of(draft_version, question_template=TYPED)
    template_version_publish(version=draft_version, acting_user=approver)

    response = client.post(change_url(draft_version), edits)

    new_draft = TemplateVersion.objects.get(template=draft_version.template, version=draft_version.version + 1)
    assert response.status_code == 302
    assert response.url == change_url(new_draft)
    assert (new_draft.status, new_draft.question_template, new_draft.author) == ("draft", TYPED, author)
    published = TemplateVersion.objects.get(pk=draft_version.pk)
    assert (published.status, published.question_template) == ("approved", draft_version.question_template)
    assert (
        f"Version {draft_version.version} of {draft_version.template.key} was approved while you were editing it, "
        "so it stays as it is: your edits are a new draft." in messages_of(response)
    )


def test_edits_of_a_draft_archived_meanwhile_become_the_next_draft(client, author, approver, draft_version):
    client.force_login(author)
    edits = edits_of(draft_version, question_template=TYPED)
    template_version_archive(version=draft_version, acting_user=approver)

    client.post(change_url(draft_version), edits)

    assert TemplateVersion.objects.filter(template=draft_version.template, question_template=TYPED).count() == 1
    assert TemplateVersion.objects.get(pk=draft_version.pk).status == "archived"


def test_invalid_edits_of_a_draft_published_meanwhile_come_back_with_their_problems(
    client, author, approver, draft_version
):
    client.force_login(author)
    broken = "What is {{ a plus {{ b }}?"
    edits = edits_of(draft_version, question_template=broken)
    template_version_publish(version=draft_version, acting_user=approver)

    response = client.post(change_url(draft_version), edits)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["question_template"].value() == broken
    assert form.errors
    assert escape(broken) in response.content.decode()
    assert TemplateVersion.objects.filter(template=draft_version.template).count() == 1
    assert any("correct your edits below to save them as a new draft" in message for message in messages_of(response))


def test_corrected_edits_sent_again_from_that_page_are_saved_as_the_next_draft(client, author, approver, draft_version):
    client.force_login(author)
    template_version_publish(version=draft_version, acting_user=approver)
    client.post(change_url(draft_version), edits_of(draft_version, question_template="What is {{ a plus?"))

    client.post(change_url(draft_version), edits_of(draft_version, question_template=TYPED))

    assert (
        TemplateVersion.objects.get(
            template=draft_version.template, version=draft_version.version + 1
        ).question_template
        == TYPED
    )


def test_a_person_who_may_not_write_drafts_is_still_refused(client, approver, draft_version, make_user):
    viewer = make_user("viewer", "Operators")
    client.force_login(viewer)
    template_version_publish(version=draft_version, acting_user=approver)

    response = client.post(change_url(draft_version), edits_of(draft_version, question_template=TYPED))

    assert response.status_code == 403
    assert TemplateVersion.objects.filter(template=draft_version.template).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_draft_published_between_the_pages_check_and_the_save_still_becomes_a_new_draft(
    client, author, approver, draft_version, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("another connection's commit is seen inside the admin's transaction on PostgreSQL")
    save_draft = template_services.template_version_save_draft
    published = []

    def published_by_another_session_first(**kwargs):
        if not published:
            # The page found a draft; the approver's publish commits before the author's save checks.
            version = TemplateVersion.objects.get(pk=draft_version.pk)
            published.extend(run_concurrently(lambda: template_version_publish(version=version, acting_user=approver)))
        return save_draft(**kwargs)

    monkeypatch.setattr(template_services, "template_version_save_draft", published_by_another_session_first)
    client.force_login(author)

    response = client.post(change_url(draft_version), edits_of(draft_version, question_template=TYPED))

    assert [version.status for version in published] == ["approved"]
    new_draft = TemplateVersion.objects.get(template=draft_version.template, version=draft_version.version + 1)
    assert response.status_code == 302
    assert (new_draft.status, new_draft.question_template) == ("draft", TYPED)
    assert TemplateVersion.objects.get(pk=draft_version.pk).question_template == draft_version.question_template
