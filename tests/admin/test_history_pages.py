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
        "tenant_id": "acme",
        "releases-TOTAL_FORMS": "0",
        "releases-INITIAL_FORMS": "0",
        **fields,
    }


def test_the_collection_form_refuses_to_lift_the_synthetic_wall_without_a_reason(client, make_user):
    # Creating is a curator's; lifting the wall an approver's.
    curator = make_user("lead", "Curators", "Approvers")
    client.force_login(curator)

    response = client.post(
        reverse("admin:collections_app_collection_add"), _collection_form(allow_synthetic_in_evaluation="on")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == [WALL_LIFT_NEEDS_REASON]
    assert not Collection.objects.filter(slug="bench").exists()


def test_the_collection_form_keeps_the_reason_in_the_history(client, make_user):
    # Creating is a curator's; lifting the wall an approver's.
    curator = make_user("lead", "Curators", "Approvers")
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


def test_every_history_admin_refuses_to_save_a_past_version():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from synthgov.admin_tools import GovernedHistoryAdmin

    history_admins = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    ]
    assert "qa_app.QAPair" in history_admins
    ungoverned = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin) and not isinstance(model_admin, GovernedHistoryAdmin)
    ]
    assert ungoverned == []


def test_a_reviewer_cannot_restore_a_past_pair_text_from_its_history_page(client, reviewer):
    pair = QAPairFactory(question="What is 2 + 2?", answer="4")
    original = pair.history.order_by("history_id").first()
    QAPair.objects.filter(pk=pair.pk).update(question="What is 3 + 3?", answer="6")
    client.force_login(reviewer)

    response = client.post(
        reverse("admin:qa_app_qapair_simple_history", args=[pair.pk, original.history_id]),
        {"question": "What is 2 + 2?", "answer": "4", "context": "", "locale": "en", "tenant_id": "acme"},
    )

    assert response.status_code == 403
    assert QAPair.objects.values_list("question", flat=True).get(pk=pair.pk) == "What is 3 + 3?"


def test_a_past_pair_version_page_is_shown_without_a_revert_button(client, reviewer):
    pair = QAPairFactory()
    original = pair.history.order_by("history_id").first()
    client.force_login(reviewer)

    response = client.get(reverse("admin:qa_app_qapair_simple_history", args=[pair.pk, original.history_id]))

    assert response.status_code == 200
    assert "Revert" not in response.content.decode()
