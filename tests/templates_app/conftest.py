import pytest

from templates_app.models import TemplateVersion
from templates_app.services import template_version_archive
from tests.factories import TemplateVersionFactory


@pytest.fixture
def archived_version(approved_version, approver):
    return template_version_archive(version=approved_version, acting_user=approver)


@pytest.fixture
def draft_with(author):
    """A draft by `author` whose content fields are overridden (saved as is, without checks)."""

    def make(**content):
        return TemplateVersionFactory(author=author, **content)

    return make


@pytest.fixture
def stored_row():
    """The version's row as the database holds it, to show that a refusal changed nothing."""

    def read(version):
        return TemplateVersion.objects.values().get(pk=version.pk)

    return read
