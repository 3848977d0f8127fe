"""The webhook pages in Chromium: an operator adds an endpoint (events as checkboxes), copies the
secret from the one page that shows it, sends a test event and reads the delivery log, with no
JavaScript error on any page."""

import pytest

from tests.webhooks_app.receiver import start_receiver
from webhooks_app.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser]


@pytest.fixture
def receiver(settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_an_operator_adds_an_endpoint_sees_the_secret_once_and_reads_its_deliveries(browser, role_users, receiver):
    browser.login(role_users["operator"])
    browser.goto("/admin/webhooks_app/webhookendpoint/add/")
    browser.page.fill("#id_url", receiver.url)
    browser.page.check("input[name=events][value='job.succeeded']")
    browser.page.check("input[name=events][value='release.published']")
    browser.page.select_option("#id_tenant_id", "acme")
    browser.step("the add form with events as checkboxes and the operator's tenants to choose from")
    browser.page.click("input[name=_save]")
    browser.page.wait_for_selector("#webhook-secret")
    secret = browser.page.input_value("#webhook-secret")
    browser.step("the secret, shown once")

    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret
    assert endpoint.events == ["job.succeeded", "release.published"]
    assert endpoint.tenant_id == "acme"
    receiver.secret = secret
    browser.page.click("text=Go to the endpoint")
    browser.page.wait_for_selector("#id_url")
    assert secret not in browser.page.content()
    browser.step("the endpoint page hides the secret")

    browser.goto("/admin/webhooks_app/webhookendpoint/")
    browser.page.check(f"input[name=_selected_action][value='{endpoint.pk}']")
    browser.page.select_option("select[name=action]", "send_test_event")
    browser.page.click("button[name=index]")
    browser.page.wait_for_selector("ul.messagelist li.success")
    assert receiver.events() == ["webhook.test"]
    browser.step("a test event was sent")

    delivery = WebhookDelivery.objects.get()
    browser.goto(f"/admin/webhooks_app/webhookdelivery/?endpoint__id__exact={endpoint.pk}")
    browser.step("the endpoint's deliveries")
    browser.goto(f"/admin/webhooks_app/webhookdelivery/{delivery.pk}/change/")
    assert delivery.webhook_id in browser.page.content()
    browser.step("a delivery with its attempts")
