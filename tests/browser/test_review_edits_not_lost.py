"""In Chromium: a reviewer edits a pair for longer than the claim lasts, and another reviewer decides
it meanwhile; saving shows why it was refused and everything the first reviewer typed, to copy."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.services import qa_pair_approve
from tests.conftest import join_tenants
from tests.factories import QAPairFactory

pytestmark = pytest.mark.browser

TYPED_ANSWER = "Five, as 2 + 3 = 5 (typed over a long edit)."


def test_edits_of_a_pair_decided_meanwhile_stay_on_the_page(browser, role_users):
    pair = QAPairFactory(question="What is 2 plus 3?", answer="5")
    reviewer = role_users["reviewer"]
    browser.login(reviewer)
    browser.goto(f"/admin/qa_app/qapair/review/{pair.pk}/")
    browser.page.click("#edit-panel summary")
    browser.page.fill("#id_answer", TYPED_ANSWER)
    browser.page.fill("#edit-reason", "spelled out the sum")
    browser.step("the reviewer edits the answer")
    # The claim ran out while the reviewer typed; a second reviewer was handed the pair and approved it.
    QAPair.objects.filter(pk=pair.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    second = get_user_model().objects.create_user("second-reviewer", is_staff=True)
    second.groups.set(reviewer.user.groups.all())
    join_tenants(second)
    qa_pair_approve(pair=QAPair.objects.get(pk=pair.pk), acting_user=second)

    with browser.page.expect_navigation():
        browser.page.click("#edit-form button[type=submit]")

    assert "approved" in browser.page.inner_text("ul.messagelist li.error")
    assert browser.page.input_value("#unsaved-2") == TYPED_ANSWER
    assert browser.page.input_value("#unsaved-4") == "spelled out the sum"
    browser.step("the typed edits are shown to copy")
    assert QAPair.objects.get(pk=pair.pk).answer == "5"
