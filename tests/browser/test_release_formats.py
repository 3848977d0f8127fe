"""A curator releases a collection in the formats they tick, and sees every file to download."""

import pytest

from collections_app.models import Membership, Release
from qa_app.models import QAPair
from tests.factories import CollectionFactory, QAPairFactory

pytestmark = [pytest.mark.browser]


def test_the_release_button_asks_for_formats_and_the_release_page_lists_their_files(browser, role_users):
    pairs = QAPairFactory.create_batch(3, review_status=QAPair.ReviewStatus.APPROVED)
    collection = CollectionFactory(slug="sums", description="Arithmetic for the browser test.")
    Membership.objects.bulk_create(Membership(collection=collection, qa_pair=pair, split="train") for pair in pairs)
    browser.login(role_users["curator"])
    browser.goto(f"/admin/collections_app/collection/{collection.pk}/change/")
    browser.step("collection page")

    browser.page.click("input[type=submit][value='Release'], button:has-text('Release')")
    browser.page.wait_for_selector("input[name=formats][value=parquet]")
    assert browser.page.is_checked("input[name=formats][value=openai_chat]")
    browser.page.check("input[name=formats][value=parquet]")
    browser.step("formats chosen")
    browser.page.click("input[type=submit][value='Release']")
    browser.page.wait_for_selector(".field-downloads a")

    release = Release.objects.get()
    assert release.formats == ["openai_chat", "parquet"]
    links = browser.page.locator(".field-downloads a").all_inner_texts()
    assert links == [entry["name"] for entry in release.files]
    browser.step("release page")
