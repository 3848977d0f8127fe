import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from tests.factories import QAPairFactory


@pytest.fixture
def api():
    """An API client acting as the given user (None: anonymous)."""

    def client(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client


@pytest.fixture
def api_client_user(make_user):
    """A machine user in the `API clients` group, like a deployment would hand a token to."""
    return make_user("api-client", "API clients")


@pytest.fixture
def viewer(make_user):
    """A user who may read every resource and change none: each write answers 403."""
    user = make_user("viewer")
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.fixture
def approved_pairs(db):
    def make(count: int, **fields) -> list[QAPair]:
        return QAPairFactory.create_batch(count, review_status=QAPair.ReviewStatus.APPROVED, **fields)

    return make


@pytest.fixture
def pending_job(approved_version, operator):
    """A triggered job nobody has run (the test transaction never commits, so nothing is queued)."""
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=20, target_surface="training"
        ),
        acting_user=operator,
    )
    return job
