"""In Chromium: a reviewer types a reason to reopen an approved pair while another reviewer reopens
it; submitting shows why nothing was done and the typed reason, to copy."""

import pytest
from django.contrib.auth import get_user_model

from qa_app.models import QAPair
from qa_app.services import qa_pair_reopen
from tests.conftest import join_tenants
from tests.factories import QAPairFactory

pytestmark = pytest.mark.browser

REASON = "The answer cites a source that does not say this."


def test_a_reason_typed_while_another_reviewer_reopened_the_pair_is_kept(browser, role_users):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    reviewer = role_users["reviewer"]
    browser.login(reviewer)
    browser.goto(f"/admin/qa_app/qapair/{pair.pk}/change/")
    with browser.page.expect_navigation():
        browser.page.click("form.synthgov-object-action >> text=Reopen")
    browser.page.fill("#id_reason", REASON)
    browser.step("the reviewer types why to reopen")
    other = get_user_model().objects.create_user("other-reviewer", is_staff=True)
    other.groups.set(reviewer.user.groups.all())
    join_tenants(other)
    qa_pair_reopen(pair=QAPair.objects.get(pk=pair.pk), acting_user=other, reason="look again")

    with browser.page.expect_navigation():
        browser.page.click("input[type=submit][value=Reopen]")

    assert "Reopen" in browser.page.inner_text("#refusal")
    assert browser.page.input_value("#typed-1") == REASON
    browser.step("nothing done, the reason kept")
