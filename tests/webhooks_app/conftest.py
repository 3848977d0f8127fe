import pytest

from tests.conftest import grant_view_all_tenants
from webhooks_app.events import EVENTS
from webhooks_app.services import webhook_endpoint_create

from .receiver import start_receiver


@pytest.fixture
def receiver(settings):
    """A receiver on the loopback, which the tests (only they) allow webhooks to reach."""
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True
    receiver = start_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def operator(make_user):
    """An operator who sees every tenant: the one kind of user who may add an endpoint for every
    tenant's events (empty tenant_id), which most tests here do. tests/webhooks_app/test_tenants.py
    covers the members of one tenant."""
    return grant_view_all_tenants(make_user("operator", "Operators"))


@pytest.fixture
def subscribe(receiver, operator):
    """An endpoint at the receiver for the given events (default: all), its secret handed to the receiver."""

    def make(*events, tenant_id: str = "", url: str | None = None):
        endpoint, secret = webhook_endpoint_create(
            acting_user=operator, url=url or receiver.url, events=list(events or EVENTS), tenant_id=tenant_id
        )
        receiver.secret = secret
        return endpoint

    return make
