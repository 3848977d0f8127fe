"""A save the service refuses, in Chromium: the change page again, the refusal as a form error,
what was typed still in the form, nothing saved."""

from collections_app.models import Collection
from collections_app.services.collections import CROSS_TENANT_NEEDS_ALL_TENANTS
from tests.factories import CollectionFactory


def test_a_refused_collection_save_shows_the_refusal_on_the_form(browser, role_users):
    collection = CollectionFactory(slug="refused-save", name="Before")
    # An approver may tick "cross-tenant" but sees only their own tenants: the service refuses.
    browser.login(role_users["approver"])
    browser.goto(f"/admin/collections_app/collection/{collection.pk}/change/")
    browser.page.fill("#id_name", "Typed before the refusal")
    browser.page.check("#id_cross_tenant")
    browser.page.click("input[name=_continue]")
    browser.page.wait_for_selector("ul.errorlist.nonfield")

    assert browser.page.inner_text("ul.errorlist.nonfield") == CROSS_TENANT_NEEDS_ALL_TENANTS.format(
        slug=collection.slug
    )
    assert browser.page.input_value("#id_name") == "Typed before the refusal"
    assert browser.page.is_checked("#id_cross_tenant")
    browser.step("the refusal is a form error and the typed values are kept")
    assert Collection.objects.get(pk=collection.pk).name == "Before"
