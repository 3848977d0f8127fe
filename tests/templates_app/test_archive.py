"""template_version_archive: approved -> archived and draft -> archived, with the archive permission."""

import pytest

from synthgov.errors import PermissionRefused, TransitionRefused
from templates_app.models import TemplateVersion
from templates_app.services import template_version_archive


def test_archive_retires_an_approved_version(approved_version, approver):
    template_version_archive(version=approved_version, acting_user=approver)

    approved_version.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.ARCHIVED
    assert approved_version.archived_at is not None


def test_archive_keeps_the_publication_record(approved_version, approver):
    template_version_archive(version=approved_version, acting_user=approver)

    approved_version.refresh_from_db()
    assert approved_version.published_by == approver
    assert approved_version.published_at is not None


def test_archive_retires_a_draft(draft_version, approver):
    template_version_archive(version=draft_version, acting_user=approver)

    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.ARCHIVED
    assert draft_version.published_at is None


def test_archive_refuses_an_archived_version(archived_version, approver, stored_row):
    before = stored_row(archived_version)

    with pytest.raises(TransitionRefused, match="is already archived"):
        template_version_archive(version=archived_version, acting_user=approver)

    assert stored_row(archived_version) == before


def test_archive_refuses_a_user_without_the_archive_permission(approved_version, author, stored_row):
    before = stored_row(approved_version)

    with pytest.raises(
        PermissionRefused,
        match=r"^Archiving a template version needs the 'templates_app.archive_templateversion' permission; ask",
    ):
        template_version_archive(version=approved_version, acting_user=author)

    assert stored_row(approved_version) == before
    assert before["status"] == TemplateVersion.Status.APPROVED
