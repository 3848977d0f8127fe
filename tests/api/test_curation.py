"""Curation at scale over the API: add-by-filter (202 and a fill to poll), coverage in the collection
detail, and the diff between two releases."""

import pytest

from collections_app.models import Membership, MembershipFill, Release, ReleaseItem
from tests.factories import ChapterFactory, CollectionFactory, QAPairFactory

COLLECTIONS = "/api/v1/collections/"
RELEASES = "/api/v1/releases/"


@pytest.fixture
def collection(db):
    return CollectionFactory(slug="maths")


def add_by_filter(client, collection, body):
    return client.post(f"{COLLECTIONS}{collection.pk}/members/add-by-filter/", body, format="json")


def test_add_by_filter_answers_202_with_the_fill_to_poll(
    api, curator, collection, approved_pairs, django_capture_on_commit_callbacks
):
    pairs = approved_pairs(3, source="imported")
    approved_pairs(2, source="operator")
    client = api(curator)

    with django_capture_on_commit_callbacks(execute=True):
        response = add_by_filter(client, collection, {"filters": {"source": "imported"}, "split": "test", "weight": 2})

    assert response.status_code == 202
    fill = MembershipFill.objects.get()
    assert response["Location"] == response.json()["url"]
    assert response.json()["url"].endswith(f"/api/v1/membership-fills/{fill.pk}/")
    polled = client.get(response.json()["url"]).json()
    assert (polled["status"], polled["matched"], polled["added"], polled["progress_percent"]) == (
        "succeeded",
        3,
        3,
        100,
    )
    assert set(Membership.objects.values_list("qa_pair_id", "split", "weight")) == {
        (pair.pk, "test", 2.0) for pair in pairs
    }


def test_add_by_filter_needs_the_add_membership_permission(api, viewer, collection):
    response = add_by_filter(api(viewer), collection, {"filters": {}})

    assert response.status_code == 403
    assert "collections_app.add_membership" in response.json()["detail"]
    assert not MembershipFill.objects.exists()


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"chapter": 987654}, "chapter"),
        ({"quality_score_min": 2}, "quality_score_min"),
        ({"quality_score_min": "high"}, "quality_score_min"),
        ({"flagged": "perhaps"}, "flagged"),
        ({"colour": "blue"}, "filters"),
        ({"job": "99999999999999999999999"}, "job"),
        ({"template_version": -1}, "template_version"),
    ],
)
def test_add_by_filter_answers_400_naming_a_bad_filter(api, curator, collection, filters, field):
    response = add_by_filter(api(curator), collection, {"filters": filters})

    assert response.status_code == 400
    assert field in response.json()
    assert not MembershipFill.objects.exists()


@pytest.mark.parametrize("tenant", ["a" * 5000, "ac\x00me"])
def test_add_by_filter_answers_400_for_an_over_long_or_nul_text(api, curator, collection, tenant):
    # Run on both databases; PostgreSQL is the one that would fail with a 500 if either reached a query.
    response = add_by_filter(api(curator), collection, {"filters": {"tenant_id": tenant}})

    assert response.status_code == 400
    assert "tenant_id" in str(response.json())
    assert not MembershipFill.objects.exists()


def test_add_by_filter_answers_400_for_a_weight_that_is_not_above_zero(api, curator, collection):
    response = add_by_filter(api(curator), collection, {"filters": {}, "weight": 0})

    assert response.status_code == 400
    assert not MembershipFill.objects.exists()


def test_fills_can_be_listed_by_collection(api, curator, collection, django_capture_on_commit_callbacks):
    other = CollectionFactory()
    client = api(curator)
    with django_capture_on_commit_callbacks(execute=True):
        add_by_filter(client, collection, {"filters": {}})
        add_by_filter(client, other, {"filters": {}})

    listed = client.get("/api/v1/membership-fills/", {"collection": collection.pk}).json()["results"]

    assert [fill["collection"] for fill in listed] == [collection.pk]


# Coverage ---------------------------------------------------------------------------------------


def test_the_collection_detail_shows_coverage_against_its_targets(api, curator, collection):
    ChapterFactory(key="geometry", title="Geometry")
    client = api(curator)

    changed = client.patch(f"{COLLECTIONS}{collection.pk}/", {"coverage_targets": {"geometry": 50}}, format="json")

    assert changed.status_code == 200
    detail = client.get(f"{COLLECTIONS}{collection.pk}/").json()
    assert detail["coverage"] == {"geometry": {"target": 50, "approved": 0, "missing": 50}}


@pytest.mark.parametrize("targets", [{"no-such-chapter": 5}, {"geometry": 0}, {"geometry": "many"}])
def test_coverage_targets_answer_400_when_a_key_or_count_is_wrong(api, curator, collection, targets):
    ChapterFactory(key="geometry", title="Geometry")

    response = api(curator).patch(f"{COLLECTIONS}{collection.pk}/", {"coverage_targets": targets}, format="json")

    assert response.status_code == 400
    assert "coverage_targets" in response.json()
    collection.refresh_from_db()
    assert collection.coverage_targets == {}


# Release diff -----------------------------------------------------------------------------------


def release_of(collection, version: int, items: dict) -> Release:
    release = Release.objects.create(collection=collection, version=version, storage_path=f"r/{version}")
    ReleaseItem.objects.bulk_create(
        ReleaseItem(release=release, qa_pair=pair, split=split, weight=weight, content_hash=content_hash)
        for pair, (split, weight, content_hash) in items.items()
    )
    return release


@pytest.fixture
def releases(collection):
    kept, removed, added, moved = QAPairFactory.create_batch(4)
    v1 = release_of(
        collection, 1, {kept: ("train", 1.0, "k"), removed: ("train", 1.0, "r"), moved: ("train", 1.0, "m")}
    )
    v2 = release_of(collection, 2, {kept: ("train", 1.0, "k2"), added: ("test", 1.0, "a"), moved: ("test", 1.0, "m")})
    return v1, v2, {"kept": kept.pk, "removed": removed.pk, "added": added.pk, "moved": moved.pk}


def test_the_diff_defaults_to_the_previous_release(api, curator, releases):
    v1, v2, ids = releases

    response = api(curator).get(f"{RELEASES}{v2.pk}/diff/")

    assert response.status_code == 200
    assert response.json() == {
        "release": v2.pk,
        "against": v1.pk,
        "counts": {"added": 1, "removed": 1, "moved_split": 1, "changed_weight": 0, "changed_content": 1},
        "pair_ids": {
            "added": [ids["added"]],
            "removed": [ids["removed"]],
            "moved_split": [ids["moved"]],
            "changed_weight": [],
            "changed_content": [ids["kept"]],
        },
    }


def test_the_diff_compares_with_the_release_named_and_lists_at_most_limit_ids(api, curator, releases):
    v1, v2, _ = releases

    body = api(curator).get(f"{RELEASES}{v1.pk}/diff/", {"against": v2.pk, "limit": 0}).json()

    assert body["counts"]["added"] == 1
    assert body["pair_ids"]["added"] == []


def test_the_diff_answers_400_for_a_release_of_another_collection(api, curator, releases):
    _, v2, _ = releases
    foreign = release_of(CollectionFactory(slug="poetry"), 1, {})

    response = api(curator).get(f"{RELEASES}{v2.pk}/diff/", {"against": foreign.pk})

    assert response.status_code == 400
    assert "poetry" in response.json()["against"][0]


def test_the_diff_of_a_first_release_needs_a_release_to_compare_with(api, curator, releases):
    v1, _, _ = releases

    response = api(curator).get(f"{RELEASES}{v1.pk}/diff/")

    assert response.status_code == 400
    assert "against" in response.json()


@pytest.mark.parametrize("params", [{"against": "x"}, {"against": 99999999}, {"limit": 5000}, {"limit": "-1"}])
def test_the_diff_answers_400_for_a_bad_parameter(api, curator, releases, params):
    _, v2, _ = releases

    assert api(curator).get(f"{RELEASES}{v2.pk}/diff/", params).status_code == 400
