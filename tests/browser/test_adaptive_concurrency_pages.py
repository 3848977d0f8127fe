"""The admin pages the adaptive concurrency changed open in Chromium without a JavaScript error:
a job page with its concurrency over time, and the generator profile form with its new fields."""

import pytest
from django.contrib.auth import get_user_model

from jobs_app.models import GenerationJob, GeneratorProfile
from jobs_app.services import JobRequest, job_trigger
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

from .pages import Credentials

pytestmark = pytest.mark.browser

SERIES = [
    {"t": 0.0, "concurrency": 16, "reason": "start"},
    {"t": 1.2, "concurrency": 8, "reason": "throttled", "pause_s": 2.0},
    {"t": 4.5, "concurrency": 9, "reason": "increase"},
]


@pytest.fixture
def admin_user(transactional_db) -> Credentials:
    password = "root-Pa55word!"
    user = get_user_model().objects.create_superuser("root", password=password)
    return Credentials("root", password, user)


@pytest.fixture
def job_with_a_series(role_users):
    version = template_version_publish(
        version=TemplateVersionFactory(author=role_users["author"].user), acting_user=role_users["approver"].user
    )
    job, _ = job_trigger(
        request=JobRequest(template_version=version, tenant_id="acme", record_count=3, target_surface="training"),
        acting_user=role_users["operator"].user,
    )
    manifest = {
        **GenerationJob.objects.get(pk=job.pk).output_manifest,
        "concurrency": {
            "scope": "per worker process and profile",
            "minimum": 1,
            "maximum": 16,
            "throttled": 3,
            "errors": 1,
            "faults": {"HTTP 429": 3, "timeout": 1},
            "series": SERIES,
            "series_dropped": 0,
        },
    }
    GenerationJob.objects.filter(pk=job.pk).update(output_manifest=manifest)
    return job


def test_the_job_page_shows_the_concurrency_over_time(browser, admin_user, job_with_a_series):
    browser.login(admin_user)

    browser.goto(f"/admin/jobs_app/generationjob/{job_with_a_series.pk}/change/")
    browser.step("job page with concurrency")

    text = browser.page.inner_text(".field-concurrency_over_time")
    assert "3 throttled (429), 1 other fault(s); between 1 and 16 at once" in text
    assert browser.page.locator("table.concurrency-series tbody tr").count() == len(SERIES)
    assert "429: halved; all senders paused 2 s (Retry-After)" in text


def test_the_profile_form_shows_the_adaptive_and_early_stop_fields(browser, admin_user):
    profile = GeneratorProfile.objects.create(name="local", base_url="http://127.0.0.1:8001/v1", model="m")
    browser.login(admin_user)

    browser.goto(f"/admin/jobs_app/generatorprofile/{profile.pk}/change/")
    browser.step("profile page")

    for field in ("min_concurrency", "concurrency", "early_stop_window", "early_stop_rejection_rate"):
        assert browser.page.is_visible(f"#id_{field}")
    browser.goto("/admin/jobs_app/generatorprofile/add/")
    browser.step("profile add page")
    assert browser.page.input_value("#id_early_stop_error_rate") == "0.5"
