"""The Tenant admin in Chromium: a superuser opens a tenant with its memberships inline; a member's
pair list shows only their tenant. No JavaScript errors (the browser fixture fails on any)."""

from django.contrib.auth import get_user_model

from tests.browser.pages import Credentials
from tests.factories import QAPairFactory


def test_the_tenant_pages_open_without_javascript_errors(browser, role_users):
    password = "root-Pa55word!"
    root = get_user_model().objects.create_superuser("first-hour-root", "root@localhost", password)
    QAPairFactory(tenant_id="acme", question="Acme's question?")
    QAPairFactory(tenant_id="globex", question="Globex's question?")

    browser.login(Credentials(root.username, password, root))
    browser.goto("/admin/tenants_app/tenant/")
    browser.page.click("table#result_list a:text-is('acme')")
    browser.page.wait_for_selector("#memberships-group")
    assert "first-hour-curator" in browser.page.inner_text("#memberships-group")
    browser.step("tenant page with its memberships inline")
    browser.logout()

    role_users["reviewer"].user.tenant_memberships.filter(tenant__key="globex").delete()
    browser.login(role_users["reviewer"])
    browser.goto("/admin/qa_app/qapair/")
    listing = browser.page.inner_text("#result_list")
    assert "Acme's question?" in listing
    assert "Globex's question?" not in listing
    browser.step("a member of acme lists acme's pairs only")
