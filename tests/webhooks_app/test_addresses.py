"""The SSRF guard: webhook URLs that point at the server's own loopback, link-local, unspecified
or private addresses are refused when an endpoint is saved, and again when a delivery is sent."""

import pytest

from synthgov.errors import InvalidInput
from webhooks_app.addresses import (
    LOOPBACK_HINT,
    PRIVATE_HINT,
    URL_CREDENTIALS,
    URL_REFUSED,
    URL_SCHEME,
    URL_UNRESOLVED,
    url_problem,
)
from webhooks_app.models import WebhookDelivery, WebhookEndpoint
from webhooks_app.services import webhook_endpoint_create

REFUSED = [
    ("http://127.0.0.1:8000/hooks", "127.0.0.1", "127.0.0.1", "loopback", LOOPBACK_HINT),
    ("http://localhost/hooks", "localhost", "127.0.0.1", "loopback", LOOPBACK_HINT),
    ("http://[::1]/hooks", "::1", "::1", "loopback", LOOPBACK_HINT),
    ("http://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1", "::ffff:7f00:1", "loopback", LOOPBACK_HINT),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254", "169.254.169.254", "link-local", ""),
    ("http://[fe80::1]/hooks", "fe80::1", "fe80::1", "link-local", ""),
    ("http://0.0.0.0/hooks", "0.0.0.0", "0.0.0.0", "unspecified", ""),
    ("https://10.1.2.3/hooks", "10.1.2.3", "10.1.2.3", "private", PRIVATE_HINT),
    ("https://192.168.0.10/hooks", "192.168.0.10", "192.168.0.10", "private", PRIVATE_HINT),
]


@pytest.mark.parametrize(("url", "host", "address", "kind", "hint"), REFUSED)
def test_an_endpoint_pointing_at_a_refused_address_is_not_created(operator, url, host, address, kind, hint):
    with pytest.raises(InvalidInput) as refused:
        webhook_endpoint_create(acting_user=operator, url=url, events=["job.succeeded"])

    assert refused.value.field == "url"
    assert refused.value.message == URL_REFUSED.format(host=host, address=address, kind=kind, hint=hint)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/hooks", URL_SCHEME.format(url="ftp://example.org/hooks")),
        ("file:///etc/passwd", URL_SCHEME.format(url="file:///etc/passwd")),
        ("https://user:secret@example.org/hooks", URL_CREDENTIALS),
    ],
)
def test_only_plain_http_and_https_urls_are_accepted(url, message):
    assert url_problem(url) == message


def test_a_host_that_does_not_resolve_is_refused_at_creation():
    assert url_problem("https://no-such-host.invalid/hooks").startswith(
        URL_UNRESOLVED.split("(")[0].format(host="no-such-host.invalid")
    )


def test_the_loopback_setting_allows_the_loopback_but_never_link_local(settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True

    assert url_problem("http://127.0.0.1:9000/hooks") is None
    assert url_problem("http://[::1]:9000/hooks") is None
    assert "link-local" in url_problem("http://169.254.169.254/")
    assert "private" in url_problem("http://10.0.0.1/")


def test_the_private_setting_allows_private_ranges_but_not_the_loopback(settings):
    settings.SYNTHGOV_WEBHOOK_ALLOW_PRIVATE = True

    assert url_problem("http://10.0.0.1/hooks") is None
    assert "loopback" in url_problem("http://127.0.0.1/hooks")


def test_a_public_address_is_accepted():
    assert url_problem("https://93.184.215.14/hooks") is None


def test_the_guard_runs_again_when_a_delivery_is_sent(
    receiver, subscribe, settings, django_capture_on_commit_callbacks
):
    from webhooks_app.events import announce

    subscribe()
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = False

    with django_capture_on_commit_callbacks(execute=True):
        announce("job.succeeded", tenant_id="", subject="a test", payload={})

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.status_code is None
    assert attempt.error == URL_REFUSED.format(
        host="127.0.0.1", address="127.0.0.1", kind="loopback", hint=LOOPBACK_HINT
    )
    assert receiver.received == []
