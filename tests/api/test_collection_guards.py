"""The guards through the API: guarded settings need their permissions (403 for a curator), the
tenant is validated (400), add-time rules are 400 and the leak guard is 409, naming the pairs."""

import pytest

from collections_app.models import Collection, Membership, Release, Split
from collections_app.services import collection_add_pairs
from qa_app.models import QAPair
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory, QAPairFactory

COLLECTIONS = "/api/v1/collections/"


@pytest.fixture
def collection(db):
    return CollectionFactory(slug="maths")


def detail(collection) -> str:
    return f"{COLLECTIONS}{collection.pk}/"


def approved(**fields) -> QAPair:
    return QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED, **fields)


GUARDED_CHANGES = {
    "allow_pii": {"allow_pii": True},
    "cross_tenant": {"cross_tenant": True},
    "tenant": {"tenant_id": "globex"},
    "wall": {"purpose": "evaluation", "allow_synthetic_in_evaluation": True, "reason": "synthetic probes"},
}


@pytest.mark.parametrize("setting", GUARDED_CHANGES)
def test_a_curator_changing_a_guarded_setting_answers_403_and_changes_nothing(api, curator, collection, setting):
    before = Collection.objects.values().get(pk=collection.pk)

    response = api(curator).patch(detail(collection), GUARDED_CHANGES[setting], format="json")

    assert response.status_code == 403
    assert "permission" in response.json()["detail"]
    assert Collection.objects.values().get(pk=collection.pk) == before


@pytest.mark.parametrize("setting", GUARDED_CHANGES)
def test_an_approver_changes_a_guarded_setting(api, approver, collection, setting):
    if setting == "cross_tenant":
        # A cross-tenant collection holds every tenant's pairs: only who sees them all acts on it.
        grant_view_all_tenants(approver)
    response = api(approver).patch(detail(collection), GUARDED_CHANGES[setting], format="json")

    assert response.status_code == 200
    body = response.json()
    expected = {name: value for name, value in GUARDED_CHANGES[setting].items() if name != "reason"}
    assert {name: body[name] for name in expected} == expected


def test_lifting_the_wall_without_a_reason_answers_400(api, approver, collection):
    response = api(approver).patch(
        detail(collection), {"purpose": "evaluation", "allow_synthetic_in_evaluation": True}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()


def test_creating_a_collection_without_a_tenant_answers_400_naming_tenant_id(api, curator):
    response = api(curator).post(COLLECTIONS, {"slug": "evals", "name": "Evals"}, format="json")

    assert response.status_code == 400
    assert "tenant_id" in response.json()
    assert not Collection.objects.exists()


@pytest.mark.parametrize("tenant_id", ["t" * 101, "ac\x00me"], ids=["over-long", "nul"])
def test_an_unstorable_tenant_id_answers_400_and_stores_nothing(api, curator, tenant_id):
    response = api(curator).post(COLLECTIONS, {"slug": "evals", "name": "Evals", "tenant_id": tenant_id}, format="json")

    assert response.status_code == 400
    assert "tenant_id" in response.json()
    assert not Collection.objects.exists()


def test_adding_a_pair_of_another_tenant_answers_400_naming_the_rule_and_the_pair(api, curator, collection):
    foreign = approved(tenant_id="globex")

    response = api(curator).post(f"{detail(collection)}members/", {"qa_pair_ids": [foreign.pk]}, format="json")

    assert response.status_code == 400
    assert f"#{foreign.pk} belongs to tenant 'globex'" in response.json()["detail"]
    assert "tenant rule" in response.json()["detail"]
    assert not Membership.objects.exists()


def test_a_leak_answers_409_naming_the_pairs(api, curator):
    grant_view_all_tenants(curator)
    collection = CollectionFactory(cross_tenant=True, tenant_id="")
    train = approved(tenant_id="acme", question="Same?", answer="Yes.")
    test = approved(tenant_id="globex", question="Same?", answer="Yes.")
    collection_add_pairs(collection=collection, pairs=[train], split=Split.TRAIN, acting_user=curator)
    collection_add_pairs(collection=collection, pairs=[test], split=Split.TEST, acting_user=curator)

    response = api(curator).post(f"{detail(collection)}releases/")

    assert response.status_code == 409
    assert f"train #{train.pk} and test #{test.pk}: same content" in response.json()["detail"]
    assert not Release.objects.exists()


def test_the_release_manifest_carries_the_guard_results_and_warnings(api, curator):
    shared = approved()
    trainer = CollectionFactory(slug="trainer")
    collection_add_pairs(collection=trainer, pairs=[shared], split=Split.TRAIN, acting_user=curator)
    api(curator).post(f"{detail(trainer)}releases/")
    evaluation = CollectionFactory(slug="bench", purpose="evaluation")
    collection_add_pairs(collection=evaluation, pairs=[shared], split=Split.TEST, acting_user=curator)

    response = api(curator).post(f"{detail(evaluation)}releases/")

    assert response.status_code == 201
    guards = response.json()["manifest"]["guards"]
    assert guards["results"]["leak_train_test"] == "pass"
    assert [warning["release"] for warning in guards["warnings"]] == ["trainer v1"]
    assert guards["allow_pii"] is False
