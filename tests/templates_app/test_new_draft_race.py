"""Concurrent new drafts of one template take distinct numbers (under the template's lock), never an IntegrityError."""

import pytest

from templates_app.models import TemplateVersion
from templates_app.services import template_version_new_draft
from tests.concurrency import run_concurrently


@pytest.mark.django_db(transaction=True)
def test_concurrent_new_drafts_of_one_template_get_distinct_numbers(approved_version, make_user):
    editors = [make_user(f"editor-{number}", "Template authors") for number in range(4)]

    results = run_concurrently(
        *(
            lambda editor=editor: template_version_new_draft(version=approved_version, acting_user=editor)
            for editor in editors
        )
    )

    assert all(isinstance(result, TemplateVersion) for result in results), results
    latest = approved_version.version
    assert sorted(result.version for result in results) == [latest + 1, latest + 2, latest + 3, latest + 4]
