"""The current version: at most one approved version per template, the one publish last made current."""

import pytest
from django.db import IntegrityError, transaction

from synthgov.errors import TransitionRefused
from templates_app.models import TemplateVersion
from templates_app.services import (
    template_version_archive,
    template_version_new_draft,
    template_version_publish,
)


@pytest.fixture
def republish(author, approver):
    """Publish a new draft copied from `version`; returns the new version."""

    def publish(version, **options):
        draft = template_version_new_draft(version=version, acting_user=author)
        return template_version_publish(version=draft, acting_user=approver, **options)

    return publish


def _stored(version) -> TemplateVersion:
    return TemplateVersion.objects.get(pk=version.pk)


def test_publish_makes_the_version_current(approved_version):
    assert _stored(approved_version).is_current
    assert approved_version.template.current_version == approved_version


def test_publish_archives_the_previous_current_version(approved_version, republish):
    newer = republish(approved_version)

    previous = _stored(approved_version)
    assert (previous.status, previous.is_current) == (TemplateVersion.Status.ARCHIVED, False)
    assert previous.archived_at is not None
    assert approved_version.template.current_version == newer


def test_publish_keeping_the_previous_version_leaves_it_approved_but_not_current(approved_version, republish):
    newer = republish(approved_version, keep_previous=True)

    previous = _stored(approved_version)
    assert (previous.status, previous.is_current) == (TemplateVersion.Status.APPROVED, False)
    assert _stored(newer).is_current


def test_replacing_the_current_version_keeps_its_content_hash(approved_version, republish):
    before = approved_version.content_sha256

    republish(approved_version)

    assert _stored(approved_version).content_sha256 == before


def test_a_template_cannot_have_two_current_versions(approved_version, republish):
    newer = republish(approved_version, keep_previous=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateVersion.objects.filter(pk=approved_version.pk).update(is_current=True)

    assert list(TemplateVersion.objects.filter(is_current=True).values_list("pk", flat=True)) == [newer.pk]


def test_archiving_the_current_version_makes_the_latest_remaining_approved_one_current(
    approved_version, republish, approver
):
    newer = republish(approved_version, keep_previous=True)

    template_version_archive(version=newer, acting_user=approver)

    assert not _stored(newer).is_current
    assert approved_version.template.current_version == approved_version


def test_archiving_the_only_approved_version_leaves_the_template_without_a_current_version(approved_version, approver):
    template_version_archive(version=approved_version, acting_user=approver)

    assert not _stored(approved_version).is_current
    assert approved_version.template.current_version is None


def test_archiving_a_version_that_is_not_current_changes_nothing_else(approved_version, republish, approver):
    newer = republish(approved_version, keep_previous=True)

    template_version_archive(version=_stored(approved_version), acting_user=approver)

    assert approved_version.template.current_version == newer


def test_a_draft_is_never_current(draft_version):
    assert not draft_version.is_current
    assert draft_version.template.current_version is None


def test_publish_refuses_a_stale_copy_of_a_version_already_published(draft_version, approver, make_user):
    stale_copy = TemplateVersion.objects.get(pk=draft_version.pk)
    template_version_publish(version=draft_version, acting_user=approver)

    with pytest.raises(TransitionRefused, match="is approved"):
        template_version_publish(version=stale_copy, acting_user=make_user("second_approver", "Approvers"))

    assert _stored(draft_version).published_by == approver
