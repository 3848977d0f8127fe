"""An approved or archived version is immutable; change means a new draft."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from synthgov.errors import TransitionRefused
from templates_app.models import IMMUTABLE_VERSION, TemplateVersion
from templates_app.services import template_version_save_draft


def _expected_message(version, status):
    return IMMUTABLE_VERSION.format(version=version.version, template=version.template.key, status=status)


def test_saving_changed_content_of_an_approved_version_is_refused(approved_version, stored_row):
    before = stored_row(approved_version)
    approved_version.answer_template = "{{ a - b }}"

    with pytest.raises(ValidationError) as excinfo:
        approved_version.save()

    assert excinfo.value.messages == [_expected_message(approved_version, "approved")]
    assert stored_row(approved_version) == before


def test_saving_changed_content_of_an_archived_version_is_refused(archived_version, stored_row):
    before = stored_row(archived_version)
    archived_version.variables = {**archived_version.variables, "c": {"sampler": "choice", "values": [1]}}

    with pytest.raises(ValidationError) as excinfo:
        archived_version.save()

    assert excinfo.value.messages == [_expected_message(archived_version, "archived")]
    assert stored_row(archived_version) == before


def test_saving_draft_through_the_service_refuses_an_approved_version(approved_version, author, stored_row):
    before = stored_row(approved_version)
    approved_version.prompt = "Something else entirely."

    with pytest.raises(TransitionRefused) as excinfo:
        template_version_save_draft(version=approved_version, acting_user=author)

    assert excinfo.value.message == _expected_message(approved_version, "approved")
    assert stored_row(approved_version) == before


def test_saving_draft_through_the_service_refuses_an_archived_version(archived_version, author, stored_row):
    before = stored_row(archived_version)

    with pytest.raises(TransitionRefused, match="is archived and cannot be edited"):
        template_version_save_draft(version=archived_version, acting_user=author)

    assert stored_row(archived_version) == before


def test_saving_draft_through_the_service_updates_a_draft(draft_version, author):
    draft_version.prompt = "Add the two numbers."

    template_version_save_draft(version=draft_version, acting_user=author)

    draft_version.refresh_from_db()
    assert draft_version.prompt == "Add the two numbers."
    assert draft_version.status == TemplateVersion.Status.DRAFT


def test_a_status_only_transition_save_of_an_approved_version_is_allowed(approved_version):
    approved_version.archive(at=timezone.now())
    approved_version.save()

    approved_version.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.ARCHIVED


def test_saving_an_approved_version_without_content_changes_is_allowed(approved_version):
    sha_before = approved_version.content_sha256

    approved_version.save()

    approved_version.refresh_from_db()
    assert approved_version.content_sha256 == sha_before


def test_content_sha256_changes_when_content_changes(draft_version):
    sha_before = draft_version.content_sha256
    draft_version.question_template = "What is {{ b }} plus {{ a }}?"

    draft_version.save()

    draft_version.refresh_from_db()
    assert draft_version.content_sha256 != sha_before
    assert draft_version.content_sha256 == draft_version.compute_content_sha256()


def test_content_sha256_is_stable_across_saves_without_content_changes(draft_version):
    sha_before = draft_version.content_sha256
    draft_version.published_at = timezone.now()

    draft_version.save()
    draft_version.refresh_from_db()

    assert draft_version.content_sha256 == sha_before


def test_content_sha256_ignores_the_key_order_of_json_content(draft_version):
    reordered = TemplateVersion.objects.get(pk=draft_version.pk)
    reordered.variables = dict(reversed(list(draft_version.variables.items())))

    assert reordered.compute_content_sha256() == draft_version.content_sha256
