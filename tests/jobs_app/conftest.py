import pytest

from jobs_app.generators.aimd import forget_controllers
from jobs_app.models import GeneratorProfile
from jobs_app.services import JobRequest, job_trigger
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

from .fake_openai import FakeOpenAI

# Two sampled integers in 1..2: only four distinct (question, answer) pairs exist.
FOUR_COMBINATIONS = {
    "a": {"sampler": "int_range", "min": 1, "max": 2},
    "b": {"sampler": "int_range", "min": 1, "max": 2},
}


@pytest.fixture
def publish(author, approver):
    """An approved version with the given content (the factory's sum template otherwise)."""

    def make(**content):
        return template_version_publish(version=TemplateVersionFactory(author=author, **content), acting_user=approver)

    return make


@pytest.fixture
def unpublished_draft(author):
    """A draft of its own (`draft_version` is the one `approved_version` publishes)."""
    return TemplateVersionFactory(author=author)


@pytest.fixture
def job_request(approved_version):
    """A valid production request on the approved version; fields override the defaults."""

    def make(**fields):
        defaults = {
            "template_version": approved_version,
            "tenant_id": "acme",
            "record_count": 20,
            "target_surface": "training",
            "seed": 1,
        }
        return JobRequest(**{**defaults, **fields})

    return make


@pytest.fixture
def pending_job(job_request, operator):
    """A triggered job nobody has run: the test transaction never commits, so nothing is queued."""
    job, _ = job_trigger(request=job_request(), acting_user=operator)
    return job


@pytest.fixture(autouse=True)
def _fresh_adaptive_concurrency():
    """Each test's profiles start at their own concurrency, not at what an earlier test's server taught."""
    forget_controllers()
    yield
    forget_controllers()


@pytest.fixture
def fake_openai():
    """An OpenAI-compatible HTTP server on 127.0.0.1, answering deterministically (see fake_openai.py)."""
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def fake_profile(fake_openai):
    """Make a generator profile on the fake server: "local", concurrency 2, 5 s timeout, 2 retries,
    unless `fields` say otherwise."""

    def make(**fields):
        defaults = {"name": "local", "model": "fake-model", "concurrency": 2, "timeout_seconds": 5, "max_retries": 2}
        return GeneratorProfile.objects.create(base_url=fake_openai.base_url, **{**defaults, **fields})

    return make


@pytest.fixture
def small_batches(settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 5
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 1000
