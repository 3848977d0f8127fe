"""template_version_new_draft: a change to a published version is a copy as version n+1."""

from templates_app.models import TemplateVersion
from templates_app.services import template_version_new_draft


def test_new_draft_is_the_next_version_of_the_same_template(approved_version, make_user):
    editor = make_user("editor", "Template authors")

    draft = template_version_new_draft(version=approved_version, acting_user=editor)

    assert draft.pk != approved_version.pk
    assert draft.template == approved_version.template
    assert draft.version == approved_version.version + 1


def test_new_draft_copies_the_content(approved_version, make_user):
    editor = make_user("editor", "Template authors")

    draft = template_version_new_draft(version=approved_version, acting_user=editor)

    draft.refresh_from_db()
    assert draft.content() == approved_version.content()
    assert draft.content_sha256 == approved_version.content_sha256


def test_new_draft_is_an_unpublished_draft_authored_by_the_acting_user(approved_version, make_user):
    editor = make_user("editor", "Template authors")

    draft = template_version_new_draft(version=approved_version, acting_user=editor)

    draft.refresh_from_db()
    assert draft.status == TemplateVersion.Status.DRAFT
    assert draft.author == editor
    assert (draft.published_by, draft.published_at, draft.archived_at) == (None, None, None)


def test_new_draft_leaves_the_original_untouched(approved_version, make_user, stored_row):
    editor = make_user("editor", "Template authors")
    before = stored_row(approved_version)

    template_version_new_draft(version=approved_version, acting_user=editor)

    assert stored_row(approved_version) == before


def test_new_draft_numbers_after_the_latest_version_not_the_copied_one(approved_version, make_user):
    editor = make_user("editor", "Template authors")
    second = template_version_new_draft(version=approved_version, acting_user=editor)

    third = template_version_new_draft(version=approved_version, acting_user=editor)

    assert third.version == second.version + 1


def test_new_draft_can_be_edited_while_the_original_stays_as_it_was(approved_version, make_user):
    editor = make_user("editor", "Template authors")
    draft = template_version_new_draft(version=approved_version, acting_user=editor)

    draft.answer_template = "{{ a + b }} (sum)"
    draft.save()

    approved_version.refresh_from_db()
    assert approved_version.answer_template == "{{ a + b }}"
