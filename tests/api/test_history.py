"""GET /api/v1/<resource>/{id}/history/: who changed a governed object, when, why and what changed;
and the reasons the API passes through to the services (archive, cancel, resume, collection save)."""

import pytest

from collections_app.models import Collection
from collections_app.services import WALL_LIFT_NEEDS_REASON, collection_add_pairs, collection_release
from jobs_app.models import GenerationJob
from jobs_app.services import job_cancel
from qa_app.models import QAPair
from qa_app.services import qa_pair_reject
from synthgov.history import MAX_REASON_CHARS
from templates_app.services import template_version_archive
from tests.factories import CollectionFactory, QAPairFactory

API = "/api/v1/"


def _history(client, path):
    response = client.get(f"{API}{path}history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_template_version_history_lists_each_change_newest_first_with_user_reason_and_changed_fields(
    api, viewer, approved_version, approver
):
    template_version_archive(version=approved_version, acting_user=approver, reason="superseded")

    rows = _history(api(viewer), f"template-versions/{approved_version.pk}/")

    assert [(row["type"], row["user"], row["reason"]) for row in rows] == [
        ("~", "approver", "archived: superseded"),
        ("~", "approver", "published"),
        ("+", None, None),
    ]
    changes = {change["field"]: (change["old"], change["new"]) for change in rows[0]["changes"]}
    assert changes["status"] == ("approved", "archived")
    assert changes["is_current"] == (True, False)


def test_the_first_history_row_lists_no_changes(api, viewer, approved_version):
    rows = _history(api(viewer), f"template-versions/{approved_version.pk}/")

    assert rows[-1]["changes"] == []


def test_changes_compare_with_the_row_before_also_across_pages(api, viewer, approved_version, approver):
    template_version_archive(version=approved_version, acting_user=approver)

    response = api(viewer).get(f"{API}template-versions/{approved_version.pk}/history/?page_size=1")
    second_page = api(viewer).get(response.json()["next"]).json()["results"]

    changes = {change["field"]: (change["old"], change["new"]) for change in second_page[0]["changes"]}
    assert (second_page[0]["reason"], changes["status"]) == ("published", ("draft", "approved"))


def test_job_history_names_who_cancelled_and_why(api, viewer, pending_job, operator):
    job_cancel(job=pending_job, acting_user=operator, reason="wrong seed")

    rows = _history(api(viewer), f"jobs/{pending_job.pk}/")

    assert [(row["user"], row["reason"]) for row in rows] == [
        ("operator", "cancelled: wrong seed"),
        ("operator", "triggered"),
    ]


def test_qa_pair_history_names_the_reviewer_and_the_rejection_reason(api, viewer, reviewer):
    pair = QAPairFactory()
    qa_pair_reject(pair=pair, acting_user=reviewer, reason="the sum is wrong")

    rows = _history(api(viewer), f"qa-pairs/{pair.pk}/")

    assert (rows[0]["user"], rows[0]["reason"]) == ("reviewer", "rejected: the sum is wrong")
    assert {"field": "review_status", "old": "pending", "new": "rejected"} in rows[0]["changes"]


def test_collection_and_release_history_name_the_curator(api, viewer, curator):
    collection = CollectionFactory(split_ratios={"train": 1.0})
    collection_add_pairs(
        collection=collection, pairs=[QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)], acting_user=curator
    )
    release = collection_release(collection=collection, acting_user=curator)

    release_rows = _history(api(viewer), f"releases/{release.pk}/")

    assert [(row["user"], row["reason"]) for row in release_rows] == [
        ("curator", "published"),
        ("curator", "building"),
    ]
    assert [row["type"] for row in _history(api(viewer), f"collections/{collection.pk}/")] == ["+"]


@pytest.mark.parametrize("resource", ["template-versions", "jobs", "qa-pairs", "collections", "releases"])
def test_history_without_the_view_permission_answers_403(api, nobody, resource):
    response = api(nobody).get(f"{API}{resource}/1/history/")

    assert response.status_code == 403
    assert "view_" in response.json()["detail"]


def test_history_of_an_unknown_object_answers_404(api, viewer):
    assert api(viewer).get(f"{API}jobs/999999/history/").status_code == 404


def test_archive_passes_the_reason_to_the_history(api, approved_version, approver):
    response = api(approver).post(
        f"{API}template-versions/{approved_version.pk}/archive/", {"reason": "superseded"}, format="json"
    )

    assert response.status_code == 200
    assert approved_version.history.first().history_change_reason == "archived: superseded"


def test_archive_with_an_over_long_reason_answers_400_naming_the_field(api, approved_version, approver):
    response = api(approver).post(
        f"{API}template-versions/{approved_version.pk}/archive/",
        {"reason": "x" * (MAX_REASON_CHARS + 1)},
        format="json",
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_cancel_passes_the_reason_to_the_history(api, operator, pending_job):
    response = api(operator).post(f"{API}jobs/{pending_job.pk}/cancel/", {"reason": "wrong seed"}, format="json")

    assert response.status_code == 200
    assert pending_job.history.first().history_change_reason == "cancelled: wrong seed"


def test_cancel_without_a_body_still_cancels(api, operator, pending_job):
    response = api(operator).post(f"{API}jobs/{pending_job.pk}/cancel/")

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_resume_passes_the_reason_to_the_history(api, operator, pending_job):
    job_cancel(job=pending_job, acting_user=operator)

    response = api(operator).post(f"{API}jobs/{pending_job.pk}/resume/", {"reason": "it was fine"}, format="json")

    assert response.status_code == 200
    assert GenerationJob.objects.get(pk=pending_job.pk).history.first().history_change_reason == "resumed: it was fine"


def test_lifting_the_synthetic_wall_without_a_reason_answers_400_naming_the_reason(api, make_user):
    curator = make_user("lead", "Curators", "Approvers")  # creates (curator) and lifts the wall (approver)
    response = api(curator).post(
        f"{API}collections/",
        {
            "slug": "bench",
            "name": "Bench",
            "purpose": "evaluation",
            "allow_synthetic_in_evaluation": True,
            "tenant_id": "acme",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["reason"] == [WALL_LIFT_NEEDS_REASON]
    assert not Collection.objects.filter(slug="bench").exists()


def test_lifting_the_synthetic_wall_with_a_reason_keeps_it_in_the_history(api, make_user):
    curator = make_user("lead", "Curators", "Approvers")  # creates (curator) and lifts the wall (approver)
    response = api(curator).post(
        f"{API}collections/",
        {
            "slug": "bench",
            "name": "Bench",
            "purpose": "evaluation",
            "allow_synthetic_in_evaluation": True,
            "tenant_id": "acme",
            "reason": "a synthetic benchmark",
        },
        format="json",
    )

    assert response.status_code == 201
    assert "reason" not in response.json()
    entry = Collection.objects.get(slug="bench").history.first()
    assert (entry.history_user, entry.history_change_reason) == (
        curator,
        "created, synthetic wall lifted: a synthetic benchmark",
    )
