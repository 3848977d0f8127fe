"""The trigger form tells how many distinct variable combinations a version has, and warns (never
refuses) when a job asks for more records than that."""

import pytest
from django.urls import reverse

from jobs_app.models import GenerationJob
from tests.factories import TemplateVersionFactory

# a and b in 0..10 each: 121 combinations.
SMALL_SPACE = {
    "a": {"sampler": "int_range", "min": 0, "max": 10},
    "b": {"sampler": "int_range", "min": 0, "max": 10},
}
TRIGGER = "admin:jobs_app_generationjob_trigger"


@pytest.fixture
def small_version(approver, author):
    from templates_app.services import template_version_publish

    version = TemplateVersionFactory(author=author, variables=SMALL_SPACE)
    return template_version_publish(version=version, acting_user=approver)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


def trigger_form(version, record_count: int) -> dict:
    return {
        "template_version": version.pk,
        "record_count": record_count,
        "seed": 0,
        "locale": "en",
        "tenant_id": "acme",
        "target_surface": "training",
        "production": "on",
        "generator": "template",
    }


def test_the_trigger_form_shows_the_versions_combinations_beside_the_record_count(operator_client, small_version):
    response = operator_client.get(reverse(TRIGGER) + f"?template_version={small_version.pk}")

    assert "121 distinct variable combinations." in response.content.decode()


def test_the_coverage_hint_warns_when_the_record_count_exceeds_the_combinations(operator_client, small_version):
    url = reverse("admin:jobs_app_generationjob_trigger_coverage")

    within = operator_client.get(url, {"template_version": small_version.pk, "record_count": 121}).json()
    beyond = operator_client.get(url, {"template_version": small_version.pk, "record_count": 2000}).json()

    assert within["combinations"] == 121
    assert within["warning"] is None
    assert beyond["warning"].startswith(f"2,000 records, but {small_version} has 121 distinct variable combinations")


def test_triggering_more_records_than_combinations_queues_the_job_with_a_warning(
    operator_client, small_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = operator_client.post(reverse(TRIGGER), trigger_form(small_version, 2000), follow=True)

    job = GenerationJob.objects.get()
    assert job.record_count == 2000
    warnings = [str(message) for message in response.context["messages"] if message.level_tag == "warning"]
    assert len(warnings) == 1
    assert "121 distinct variable combinations: expect about 1,879 duplicates" in warnings[0]


def test_triggering_within_the_combinations_gives_no_warning(
    operator_client, small_version, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = operator_client.post(reverse(TRIGGER), trigger_form(small_version, 100), follow=True)

    assert GenerationJob.objects.count() == 1
    assert [message.level_tag for message in response.context["messages"]] == ["success"]
