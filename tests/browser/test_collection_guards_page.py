"""The collection page in Chromium: the guarded settings are read-only for a curator and editable
for an approver, and a release refused by the leak guard is a message on the same page."""

from collections_app.models import Collection, Split
from collections_app.services import collection_add_pairs
from qa_app.models import QAPair
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory, QAPairFactory


def test_the_collection_page_guards_its_settings_and_reports_a_leak(browser, role_users):
    collection = CollectionFactory(slug="bench-guards", cross_tenant=True, tenant_id="")
    curator = role_users["curator"]
    # A cross-tenant collection is for those who see every tenant (an explicit grant).
    grant_view_all_tenants(curator.user)
    grant_view_all_tenants(role_users["approver"].user)
    for tenant, split in (("acme", Split.TRAIN), ("globex", Split.TEST)):
        pair = QAPairFactory(
            tenant_id=tenant, question="Same?", answer="Yes.", review_status=QAPair.ReviewStatus.APPROVED
        )
        collection_add_pairs(collection=collection, pairs=[pair], split=split, acting_user=curator.user)
    page = f"/admin/collections_app/collection/{collection.pk}/change/"

    browser.login(curator)
    browser.goto(page)
    assert browser.page.locator("#id_allow_pii").count() == 0
    assert "field-allow_pii" in browser.page.content()
    browser.step("curator sees the guarded settings read-only")
    browser.page.click(".object-tools button:text-is('Release')")
    browser.page.click("input[type=submit][value='Release']")
    browser.page.wait_for_selector("ul.messagelist li.error")
    assert "leak guard" in browser.page.inner_text("ul.messagelist li.error")
    browser.step("the leak guard refuses the release on the same page")
    browser.logout()

    browser.login(role_users["approver"])
    browser.goto(page)
    browser.page.check("#id_allow_pii")
    browser.page.click("input[name=_continue]")
    browser.page.wait_for_selector("ul.messagelist li.success")
    browser.step("approver allowed PII")
    assert Collection.objects.get(pk=collection.pk).allow_pii is True
