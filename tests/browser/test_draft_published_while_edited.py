"""In Chromium: an author saves a draft that an approver published after the author opened it; the
author lands on a new draft holding the edits, told why, and the published version is unchanged."""

from templates_app.models import TemplateVersion
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

TYPED = "What is {{ a }} plus {{ b }}, typed while it was published?"


def test_edits_of_a_draft_published_meanwhile_land_on_a_new_draft(browser, role_users):
    draft = TemplateVersionFactory(author=role_users["author"].user)
    browser.login(role_users["author"])
    browser.goto(f"/admin/templates_app/templateversion/{draft.pk}/change/")
    browser.page.fill("#id_question_template", TYPED)
    browser.step("the author edits the draft")
    template_version_publish(version=draft, acting_user=role_users["approver"].user)

    browser.page.click("input[name=_continue]")
    browser.page.wait_for_selector("ul.messagelist li.warning")

    new_draft = TemplateVersion.objects.get(template=draft.template, version=draft.version + 1)
    assert browser.page.url.endswith(f"/admin/templates_app/templateversion/{new_draft.pk}/change/")
    assert "your edits are a new draft" in browser.page.inner_text("ul.messagelist li.warning")
    assert browser.page.input_value("#id_question_template") == TYPED
    browser.step("the edits are a new draft")
    assert TemplateVersion.objects.get(pk=draft.pk).question_template == draft.question_template
