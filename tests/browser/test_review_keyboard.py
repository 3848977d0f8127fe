"""A reviewer works a queue of six pairs in Chromium with the keyboard only: approve three, reject one
with a reason, edit and approve one, skip one; then the database shows exactly that."""

import pytest

from qa_app.models import QAPair
from tests.factories import QAPairFactory

from .pages import Browser

pytestmark = pytest.mark.browser

REASON = "The answer does not follow from the question."
EDITED_ANSWER = "Five: **2 + 3 = 5**."


@pytest.fixture
def six_pairs(transactional_db):
    texts = [
        ("What is 2 plus 3?", "It is `5`.\n\n```python\nprint(2 + 3)\n```"),
        ("Name a prime number.", "Seven is prime."),
        ("What colour is the sky?", "Green, always."),
        ("What is 2 plus 3 in words?", "five"),
        ("Which city is the capital of France?", "Paris."),
        ("How many legs has a spider?", "Eight."),
    ]
    return [
        QAPairFactory(question=question, answer=answer, lineage={"generator": "template", "variables": {"a": 2}})
        for question, answer in texts
    ]


def press(browser: Browser, key: str) -> None:
    """Press a key that submits a form and wait for the page that answers it."""
    with browser.page.expect_navigation():
        browser.page.keyboard.press(key)
    browser.page.wait_for_load_state("load")


def shown_pair(browser: Browser) -> str:
    return browser.page.inner_text(".breadcrumbs").rsplit("#", 1)[-1].strip()


def login_by_keyboard(browser: Browser, credentials) -> None:
    browser.goto("/admin/login/?next=/admin/qa_app/qapair/review/")
    browser.page.focus("#id_username")
    browser.page.keyboard.type(credentials.username)
    browser.page.keyboard.press("Tab")
    browser.page.keyboard.type(credentials.password)
    press(browser, "Enter")


def test_a_reviewer_works_a_queue_of_six_by_keyboard(browser, role_users, six_pairs):
    first, second, third, fourth, fifth, sixth = six_pairs
    login_by_keyboard(browser, role_users["reviewer"])
    browser.page.wait_for_selector("#start-reviewing")
    browser.step("the review queue")

    press(browser, "Enter")  # "Start reviewing" has the focus
    assert shown_pair(browser) == str(first.pk)
    browser.page.keyboard.press("?")
    browser.page.wait_for_selector("dialog#shortcuts[open]")
    browser.step("the keys")
    browser.page.keyboard.press("Escape")
    browser.page.wait_for_selector("dialog#shortcuts", state="hidden")
    browser.step("the review page")

    press(browser, "a")
    assert shown_pair(browser) == str(second.pk)
    press(browser, "a")
    assert shown_pair(browser) == str(third.pk)

    browser.page.keyboard.press("r")
    browser.page.keyboard.type(REASON)
    press(browser, "Enter")
    assert shown_pair(browser) == str(fourth.pk)

    browser.page.keyboard.press("e")
    browser.page.keyboard.press("Tab")  # from the question to the answer
    browser.page.keyboard.press("Control+a")
    browser.page.keyboard.type(EDITED_ANSWER)
    browser.step("editing the answer")
    press(browser, "Control+Enter")
    assert shown_pair(browser) == str(fifth.pk)

    press(browser, "s")
    assert shown_pair(browser) == str(sixth.pk)
    press(browser, "a")
    assert browser.page.inner_text("ul.messagelist").count("No more pairs to review in this queue.") == 1
    browser.step("the queue worked through")

    stored = {pair.pk: pair for pair in QAPair.objects.all()}
    assert [stored[pair.pk].review_status for pair in six_pairs] == [
        "approved",
        "approved",
        "rejected",
        "approved",
        "pending",
        "approved",
    ]
    assert stored[third.pk].review_reason == REASON
    assert stored[fourth.pk].answer == EDITED_ANSWER
    assert stored[fourth.pk].history.first().history_change_reason == "approved with edits"
    assert stored[fifth.pk].claimed_by is None
    assert {stored[pair.pk].reviewed_by_id for pair in (first, second, third, fourth, sixth)} == {
        role_users["reviewer"].user.pk
    }
