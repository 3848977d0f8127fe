"""The admin history pages of jobs and releases list their rows (who, what, why) and stay read-only;
a collection's form asks for the reason that lifting the synthetic wall needs."""

import pytest
from django.urls import reverse

from collections_app.models import Collection
from collections_app.services import WALL_LIFT_NEEDS_REASON, collection_add_pairs, collection_release
from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_cancel, job_trigger
from qa_app.models import QAPair
from tests.factories import CollectionFactory, QAPairFactory


@pytest.fixture
def pending_job(approved_version, operator):
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=5, target_surface="training"
        ),
        acting_user=operator,
    )
    return job


def test_the_job_history_page_lists_its_rows(client, operator, pending_job):
    job_cancel(job=pending_job, acting_user=operator, reason="wrong seed")
    client.force_login(operator)

    response = client.get(reverse("admin:jobs_app_generationjob_history", args=[pending_job.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "cancelled: wrong seed" in page
    assert "triggered" in page


def test_the_release_history_page_lists_its_rows(client, curator):
    collection = CollectionFactory(split_ratios={"train": 1.0})
    collection_add_pairs(
        collection=collection, pairs=[QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)], acting_user=curator
    )
    release = collection_release(collection=collection, acting_user=curator)
    client.force_login(curator)

    response = client.get(reverse("admin:collections_app_release_history", args=[release.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "building" in page
    assert "published" in page


def test_a_past_job_version_cannot_be_saved_back_from_its_history_page(
    client, superuser_factory, operator, pending_job
):
    job_cancel(job=pending_job, acting_user=operator)
    first = pending_job.history.order_by("history_id").first()
    client.force_login(superuser_factory())

    response = client.post(
        reverse("admin:jobs_app_generationjob_simple_history", args=[pending_job.pk, first.history_id]), {}
    )

    assert response.status_code == 403
    assert GenerationJob.objects.get(pk=pending_job.pk).status == GenerationJob.Status.CANCELLED


def _collection_form(**fields):
    return {
        "slug": "bench",
        "name": "Bench",
        "purpose": "evaluation",
        "allowed_sources": '["operator", "imported", "synthetic"]',
        "split_ratios": '{"train": 0.8, "validation": 0.1, "test": 0.1}',
        "seed": "0",
        "releases-TOTAL_FORMS": "0",
        "releases-INITIAL_FORMS": "0",
        **fields,
    }


def test_the_collection_form_refuses_to_lift_the_synthetic_wall_without_a_reason(client, curator):
    client.force_login(curator)

    response = client.post(
        reverse("admin:collections_app_collection_add"), _collection_form(allow_synthetic_in_evaluation="on")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == [WALL_LIFT_NEEDS_REASON]
    assert not Collection.objects.filter(slug="bench").exists()


def test_the_collection_form_keeps_the_reason_in_the_history(client, curator):
    client.force_login(curator)

    response = client.post(
        reverse("admin:collections_app_collection_add"),
        _collection_form(allow_synthetic_in_evaluation="on", reason="a synthetic benchmark"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Collection.objects.get(slug="bench").history.first()
    assert (entry.history_user, entry.history_change_reason) == (
        curator,
        "created, synthetic wall lifted: a synthetic benchmark",
    )
