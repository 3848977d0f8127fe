"""schemathesis against the live OpenAPI schema: no input answers 5xx, every response matches the schema.

Each operation is its own test, with a bounded number of generated requests (and schemathesis's own
boundary cases), sent to the Django WSGI app in this process as a superuser with a token.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from collections_app.models import Membership
from jobs_app.models import GenerationJob
from qa_app.models import QAPair
from templates_app.models import TemplateVersion
from tests.factories import CollectionFactory, QAPairFactory, TemplateVersionFactory
from webhooks_app.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.schemathesis

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
MAX_EXAMPLES = 5

# Served by the app itself (no database needed to build it), like a client would fetch it.
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())


@pytest.fixture
def governed_objects(pending_job):
    """A row of each kind with its optional parts empty, so the lists show them (null users, automatic split)."""
    TemplateVersionFactory()
    collection = CollectionFactory()
    Membership.objects.create(collection=collection, qa_pair=QAPairFactory(), split="", weight=1.0)
    # A webhook endpoint nobody is recorded as creating, and a delivery never attempted.
    endpoint = WebhookEndpoint.objects.create(
        url="https://93.184.215.14/hooks", events=["job.failed"], secret="whsec_x"
    )
    WebhookDelivery.objects.create(endpoint=endpoint, event="job.failed", payload={}, webhook_id="msg_schemathesis")


@pytest.fixture
def token(superuser_factory, governed_objects):
    # The app answers in this process, inside the test's transaction: Django must not close the
    # connection after each request, as it would for a real server.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield Token.objects.create(user=superuser_factory()).key
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_every_generated_request_without_5xx_and_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.parametrize(
    ("path", "lookup"),
    [
        ("/api/v1/collections/{id}/members/", lambda: Membership.objects.get(split="").collection_id),
        ("/api/v1/jobs/{id}/", lambda: GenerationJob.objects.get(cancelled_by=None).pk),
        ("/api/v1/template-versions/{id}/", lambda: TemplateVersion.objects.get(published_by=None).pk),
        ("/api/v1/qa-pairs/{id}/", lambda: QAPair.objects.filter(reviewed_by=None).first().pk),
        ("/api/v1/webhooks/{id}/", lambda: WebhookEndpoint.objects.get(created_by=None).pk),
        ("/api/v1/webhook-deliveries/{id}/", lambda: WebhookDelivery.objects.get(attempts=0).pk),
    ],
)
def test_objects_with_empty_optional_parts_answer_as_documented(token, path, lookup):
    case = schema[path]["GET"].Case(path_parameters={"id": lookup()})

    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
