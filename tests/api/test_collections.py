"""collections: settings through collection_save, members added and removed in bulk, releases."""

import pytest

from collections_app.models import Collection, Membership
from collections_app.services import NOTHING_TO_RELEASE, WEIGHT_MUST_BE_POSITIVE
from tests.factories import CollectionFactory, QAPairFactory

COLLECTIONS = "/api/v1/collections/"


@pytest.fixture
def collection(db):
    return CollectionFactory(slug="maths")


def members_url(collection, suffix: str = "") -> str:
    return f"{COLLECTIONS}{collection.pk}/members/{suffix}"


def test_create_saves_a_collection_and_records_its_creator(api, curator):
    response = api(curator).post(
        COLLECTIONS, {"slug": "evals", "name": "Evals", "purpose": "evaluation", "tenant_id": "acme"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["created_by"] == "curator"
    assert Collection.objects.get(slug="evals").purpose == "evaluation"


def test_split_ratios_that_do_not_add_up_answer_400_naming_the_field(api, curator):
    response = api(curator).post(
        COLLECTIONS,
        {"slug": "evals", "name": "Evals", "split_ratios": {"train": 0.5, "test": 0.1}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["split_ratios"] == ["Ratios must add up to 1; they add up to 0.6."]


def test_create_needs_the_add_permission(api, viewer):
    response = api(viewer).post(COLLECTIONS, {"slug": "evals", "name": "Evals"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Saving collections needs the 'collections_app.add_collection' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_partial_update_renames_a_collection(api, curator, collection):
    response = api(curator).patch(f"{COLLECTIONS}{collection.pk}/", {"name": "Maths 2"}, format="json")

    assert response.status_code == 200
    collection.refresh_from_db()
    assert collection.name == "Maths 2"


def test_members_adds_approved_pairs_with_a_split_and_a_weight(api, curator, collection, approved_pairs):
    pairs = approved_pairs(2)

    response = api(curator).post(
        members_url(collection),
        {"qa_pair_ids": [pair.pk for pair in pairs], "split": "test", "weight": 2},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"added": 2, "already_members": 0}
    assert set(Membership.objects.values_list("split", "weight")) == {("test", 2.0)}


def test_members_lists_the_memberships_page_by_page(api, curator, collection, approved_pairs):
    pairs = approved_pairs(3)
    client = api(curator)
    client.post(members_url(collection), {"qa_pair_ids": [pair.pk for pair in pairs]}, format="json")

    first = client.get(members_url(collection), {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["qa_pair"] for row in first["results"] + second["results"]] == [pair.pk for pair in pairs]


def test_adding_a_pending_pair_answers_400_and_adds_nothing(api, curator, collection, approved_pairs):
    (approved,) = approved_pairs(1)
    pending = QAPairFactory()

    response = api(curator).post(members_url(collection), {"qa_pair_ids": [approved.pk, pending.pk]}, format="json")

    assert response.status_code == 400
    refusal = f"Nothing was added: #{pending.pk} is pending, not approved (approved-only rule)."
    assert response.json() == {"detail": refusal}
    assert not Membership.objects.exists()


def test_a_weight_of_zero_answers_400(api, curator, collection, approved_pairs):
    (pair,) = approved_pairs(1)

    response = api(curator).post(members_url(collection), {"qa_pair_ids": [pair.pk], "weight": 0}, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": WEIGHT_MUST_BE_POSITIVE.format(weight=0.0)}


def test_adding_unknown_pairs_answers_400_naming_qa_pair_ids(api, curator, collection):
    response = api(curator).post(members_url(collection), {"qa_pair_ids": [999999]}, format="json")

    assert response.status_code == 400
    assert response.json()["qa_pair_ids"] == ["No QA pairs with these ids: #999999; nothing was changed."]


def test_members_can_be_removed_with_delete_or_post(api, curator, collection, approved_pairs):
    first, second = approved_pairs(2)
    client = api(curator)
    client.post(members_url(collection), {"qa_pair_ids": [first.pk, second.pk]}, format="json")

    deleted = client.delete(members_url(collection), {"qa_pair_ids": [first.pk]}, format="json")
    posted = client.post(members_url(collection, "remove/"), {"qa_pair_ids": [second.pk]}, format="json")

    assert (deleted.json(), posted.json()) == ({"removed": 1}, {"removed": 1})
    assert not Membership.objects.exists()


def test_adding_members_needs_the_add_membership_permission(api, viewer, collection, approved_pairs):
    (pair,) = approved_pairs(1)

    response = api(viewer).post(members_url(collection), {"qa_pair_ids": [pair.pk]}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Adding pairs to a collection needs the 'collections_app.add_membership' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_releases_creates_a_release_of_the_approved_members(api, curator, collection, approved_pairs):
    pairs = approved_pairs(3)
    client = api(curator)
    client.post(members_url(collection), {"qa_pair_ids": [pair.pk for pair in pairs], "split": "train"}, format="json")

    response = client.post(f"{COLLECTIONS}{collection.pk}/releases/")

    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["status"], body["manifest"]["rows"]) == (1, "published", 3)
    listed = client.get(f"{COLLECTIONS}{collection.pk}/releases/").json()
    assert [release["id"] for release in listed["results"]] == [body["id"]]


def test_releasing_an_empty_collection_answers_409(api, curator, collection):
    response = api(curator).post(f"{COLLECTIONS}{collection.pk}/releases/")

    assert response.status_code == 409
    assert response.json() == {"detail": NOTHING_TO_RELEASE.format(slug="maths")}


def test_releasing_needs_the_release_permission(api, viewer, collection):
    response = api(viewer).post(f"{COLLECTIONS}{collection.pk}/releases/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Releasing a collection needs the 'collections_app.release_collection' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_an_unknown_collection_answers_404(api, curator):
    assert api(curator).get(f"{COLLECTIONS}999999/members/").status_code == 404


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)
