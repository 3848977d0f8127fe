"""A curator fills a collection by filter and watches the fill's bar reach 100 % in place; the
collection page shows its figures, and a release's page compares it with the one before."""

import pytest

from collections_app.models import MembershipFill, Release, ReleaseItem
from qa_app.models import QAPair
from tests.factories import CollectionFactory, QAPairFactory

from .pages import wait_for_bar

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]


def test_a_curator_fills_a_collection_by_filter_and_compares_releases(browser, role_users, start_qcluster):
    pairs = QAPairFactory.create_batch(300, review_status=QAPair.ReviewStatus.APPROVED, source="imported")
    QAPairFactory.create_batch(20, review_status=QAPair.ReviewStatus.APPROVED, source="operator")
    collection = CollectionFactory(slug="browser-fill", tenant_id="acme")
    browser.login(role_users["curator"])

    browser.goto(f"/admin/collections_app/collection/{collection.pk}/change/")
    browser.page.click("text=Add approved pairs by filter…")
    browser.page.select_option("#id_source", "imported")
    browser.page.select_option("#id_flagged", "false")
    browser.step("add by filter form")
    browser.page.click("input[type=submit][value='Add matching pairs']")
    browser.page.wait_for_selector(".field-progress progress")
    fill = MembershipFill.objects.get()
    assert browser.page.url.endswith(f"/admin/collections_app/membershipfill/{fill.pk}/change/")
    browser.step("fill pending")

    cluster = start_qcluster(SYNTHGOV_FILL_CHUNK_IDS="50")
    wait_for_bar(browser, cluster)
    browser.step("fill finished")
    fill.refresh_from_db()
    assert (fill.status, fill.added) == (MembershipFill.Status.SUCCEEDED, 300)

    browser.goto(f"/admin/collections_app/collection/{collection.pk}/change/")
    assert "<td>imported</td><td>300</td>" in browser.page.content()
    browser.step("collection figures")

    v1 = Release.objects.create(collection=collection, version=1, storage_path="b/1")
    v2 = Release.objects.create(collection=collection, version=2, storage_path="b/2")
    ReleaseItem.objects.bulk_create(
        ReleaseItem(release=v1, qa_pair=pair, split="train", weight=1.0, content_hash=str(pair.pk))
        for pair in pairs[:200]
    )
    ReleaseItem.objects.bulk_create(
        ReleaseItem(
            release=v2,
            qa_pair=pair,
            split="test" if pair.pk % 7 == 0 else "train",
            weight=1.0,
            content_hash=str(pair.pk),
        )
        for pair in pairs[100:]
    )
    browser.goto(f"/admin/collections_app/release/{v2.pk}/change/")
    browser.page.click("text=Compare with v1")
    assert browser.page.inner_text('[data-diff-count="added"]') == "100"
    assert browser.page.inner_text('[data-diff-count="removed"]') == "100"
    browser.step("release diff")
