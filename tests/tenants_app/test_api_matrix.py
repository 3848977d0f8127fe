"""Two tenants by every list, detail and action of the API: a member of tenant A gets A's objects
and a 404 for B's (never a 403 that would confirm they exist); a user who sees every tenant gets both."""

import pytest
from rest_framework.test import APIClient

from qa_app.models import QAPair
from tenants_app.models import Tenant
from tenants_app.services import NOT_A_MEMBER

from .conftest import TENANT_A, TENANT_B

API = "/api/v1"

# (name, URL of the detail of a world's object) for every tenant-owned detail and nested list.
DETAILS = {
    "job": lambda w: f"{API}/jobs/{w.job.pk}/",
    "job history": lambda w: f"{API}/jobs/{w.job.pk}/history/",
    "job rejected": lambda w: f"{API}/jobs/{w.job.pk}/rejected/",
    "job duplicates": lambda w: f"{API}/jobs/{w.job.pk}/duplicates/",
    "rejected artifact": lambda w: f"{API}/rejected-artifacts/{w.artifact.pk}/",
    "qa pair": lambda w: f"{API}/qa-pairs/{w.pair.pk}/",
    "qa pair history": lambda w: f"{API}/qa-pairs/{w.pair.pk}/history/",
    "qa pair decisions": lambda w: f"{API}/qa-pairs/{w.pending.pk}/decisions/",
    "import": lambda w: f"{API}/imports/{w.run.pk}/",
    "import lines": lambda w: f"{API}/imports/{w.run.pk}/lines/",
    "import history": lambda w: f"{API}/imports/{w.run.pk}/history/",
    "collection": lambda w: f"{API}/collections/{w.collection.pk}/",
    "collection members": lambda w: f"{API}/collections/{w.collection.pk}/members/",
    "collection releases": lambda w: f"{API}/collections/{w.collection.pk}/releases/",
    "collection history": lambda w: f"{API}/collections/{w.collection.pk}/history/",
    "release": lambda w: f"{API}/releases/{w.release.pk}/",
    "release items": lambda w: f"{API}/releases/{w.release.pk}/items/",
    "release history": lambda w: f"{API}/releases/{w.release.pk}/history/",
    "release file": lambda w: f"{API}/releases/{w.release.pk}/files/{w.release.files[0]['name']}/",
    "membership fill": lambda w: f"{API}/membership-fills/{w.fill.pk}/",
    "tenant": lambda w: f"{API}/tenants/{w.job.tenant_id}/",
    "webhook": lambda w: f"{API}/webhooks/{w.endpoint.pk}/",
    "webhook history": lambda w: f"{API}/webhooks/{w.endpoint.pk}/history/",
    "webhook deliveries": lambda w: f"{API}/webhooks/{w.endpoint.pk}/deliveries/",
    "webhook delivery": lambda w: f"{API}/webhook-deliveries/{w.delivery.pk}/",
}

# (name, list URL, the row's id field, the world's object, the model's path to the tenant key).
LISTS = {
    "jobs": (f"{API}/jobs/", "job_id", lambda w: w.job, "tenant_id"),
    "rejected artifacts": (f"{API}/rejected-artifacts/", "id", lambda w: w.artifact, "job__tenant_id"),
    "qa pairs": (f"{API}/qa-pairs/", "id", lambda w: w.pair, "tenant_id"),
    "imports": (f"{API}/imports/", "id", lambda w: w.run, "tenant_id"),
    "collections": (f"{API}/collections/", "id", lambda w: w.collection, "tenant_id"),
    "releases": (f"{API}/releases/", "id", lambda w: w.release, "collection__tenant_id"),
    "membership fills": (f"{API}/membership-fills/", "id", lambda w: w.fill, "collection__tenant_id"),
    "tenants": (f"{API}/tenants/", "key", lambda w: Tenant.objects.get(key=w.job.tenant_id), "key"),
    "webhooks": (f"{API}/webhooks/", "id", lambda w: w.endpoint, "tenant_id"),
    "webhook deliveries": (f"{API}/webhook-deliveries/", "id", lambda w: w.delivery, "endpoint__tenant_id"),
}


# (name, method, URL, body) for every action on one object.
ACTIONS = {
    "cancel job": ("post", lambda w: f"{API}/jobs/{w.job.pk}/cancel/", {}),
    "resume job": ("post", lambda w: f"{API}/jobs/{w.job.pk}/resume/", {}),
    "promote artifact": (
        "post",
        lambda w: f"{API}/rejected-artifacts/{w.artifact.pk}/promote/",
        {"question": "Is it promoted?", "answer": "Yes."},
    ),
    "edit pair": ("patch", lambda w: f"{API}/qa-pairs/{w.pending.pk}/", {"answer": "Edited."}),
    "approve pair": ("post", lambda w: f"{API}/qa-pairs/{w.pending.pk}/approve/", {}),
    "reject pair": ("post", lambda w: f"{API}/qa-pairs/{w.pending.pk}/reject/", {"reason": "wrong"}),
    "reopen pair": ("post", lambda w: f"{API}/qa-pairs/{w.pair.pk}/reopen/", {"reason": "look again"}),
    "skip pair": ("post", lambda w: f"{API}/qa-pairs/{w.pending.pk}/skip/", {}),
    "adjudicate pair": ("post", lambda w: f"{API}/qa-pairs/{w.pending.pk}/adjudicate/", {"decision": "approve"}),
    "edit and approve pair": (
        "post",
        lambda w: f"{API}/qa-pairs/{w.pending.pk}/edit-and-approve/",
        {"question": "Corrected?", "answer": "Corrected.", "context": ""},
    ),
    "cancel import": ("post", lambda w: f"{API}/imports/{w.run.pk}/cancel/", {}),
    "change collection": ("patch", lambda w: f"{API}/collections/{w.collection.pk}/", {"name": "Renamed"}),
    "add members": (
        "post",
        lambda w: f"{API}/collections/{w.collection.pk}/members/",
        lambda w: {"qa_pair_ids": [w.pair.pk]},
    ),
    "remove members": (
        "post",
        lambda w: f"{API}/collections/{w.collection.pk}/members/remove/",
        lambda w: {"qa_pair_ids": [w.pair.pk]},
    ),
    "add members by filter": ("post", lambda w: f"{API}/collections/{w.collection.pk}/members/add-by-filter/", {}),
    "release collection": ("post", lambda w: f"{API}/collections/{w.collection.pk}/releases/", {}),
    "tenant members": ("get", lambda w: f"{API}/tenants/{w.job.tenant_id}/memberships/", None),
    "change webhook": ("patch", lambda w: f"{API}/webhooks/{w.endpoint.pk}/", {"description": "Renamed"}),
    "delete webhook": ("delete", lambda w: f"{API}/webhooks/{w.endpoint.pk}/", None),
    "test webhook": ("post", lambda w: f"{API}/webhooks/{w.endpoint.pk}/test/", {}),
    "retry webhook delivery": ("post", lambda w: f"{API}/webhook-deliveries/{w.delivery.pk}/retry/", {}),
}


def call(user, name, world):
    method, url, body = ACTIONS[name]
    body = body(world) if callable(body) else body
    return getattr(client(user), method)(url(world), body, format="json")


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.parametrize("name", DETAILS)
def test_a_member_reads_the_detail_of_their_tenants_object(worlds, member_a, name):
    response = client(member_a).get(DETAILS[name](worlds[TENANT_A]))

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("name", DETAILS)
def test_another_tenants_object_is_not_found_for_a_member(worlds, member_a, name):
    response = client(member_a).get(DETAILS[name](worlds[TENANT_B]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", DETAILS)
@pytest.mark.parametrize("tenant", [TENANT_A, TENANT_B])
def test_a_user_who_sees_every_tenant_reads_every_detail(worlds, sees_all, name, tenant):
    response = client(sees_all).get(DETAILS[name](worlds[tenant]))

    assert response.status_code == 200, response.content


def _listed(user, name, worlds) -> tuple[set, set]:
    """(the world objects listed, the tenants of every listed row)."""
    url, id_field, obj, tenant_path = LISTS[name]
    response = client(user).get(url)
    assert response.status_code == 200, response.content
    listed = {row[id_field] for row in response.json()["results"]}
    model = type(obj(worlds[TENANT_A]))
    lookup = "key" if model is Tenant else "pk"
    tenants = set(model._default_manager.filter(**{f"{lookup}__in": listed}).values_list(tenant_path, flat=True))
    return {tenant for tenant, world in worlds.items() if getattr(obj(world), lookup) in listed}, tenants


@pytest.mark.parametrize("name", LISTS)
def test_a_member_lists_only_their_tenants_objects(worlds, member_a, name):
    assert _listed(member_a, name, worlds) == ({TENANT_A}, {TENANT_A})


@pytest.mark.parametrize("name", LISTS)
def test_a_user_who_sees_every_tenant_lists_both(worlds, sees_all, name):
    assert _listed(sees_all, name, worlds) == ({TENANT_A, TENANT_B}, {TENANT_A, TENANT_B})


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_on_another_tenants_object_is_not_found_and_changes_nothing(worlds, member_a, name):
    before = {pair.pk: (pair.review_status, pair.answer) for pair in QAPair.objects.all()}

    response = call(member_a, name, worlds[TENANT_B])

    assert response.status_code == 404
    assert {pair.pk: (pair.review_status, pair.answer) for pair in QAPair.objects.all()} == before


@pytest.mark.parametrize("name", ACTIONS)
def test_an_action_on_the_members_own_tenants_object_is_not_refused_as_not_found(worlds, member_a, name):
    response = call(member_a, name, worlds[TENANT_A])

    # The state may refuse it (409) or the input (400); the object itself is found.
    assert response.status_code != 404, response.content


def test_bulk_review_treats_another_tenants_ids_as_unknown(worlds, member_a):
    pending_b = worlds[TENANT_B].pending

    response = client(member_a).post(
        f"{API}/qa-pairs/review/", {"ids": [pending_b.pk], "decision": "approve"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == f"ids: No QA pairs with these ids: #{pending_b.pk}; nothing was decided."
    pending_b.refresh_from_db()
    assert pending_b.review_status == QAPair.ReviewStatus.PENDING


def test_adding_another_tenants_pairs_to_a_collection_treats_their_ids_as_unknown(worlds, member_a):
    pair_b = worlds[TENANT_B].pair

    response = client(member_a).post(
        f"{API}/collections/{worlds[TENANT_A].collection.pk}/members/", {"qa_pair_ids": [pair_b.pk]}, format="json"
    )

    assert response.status_code == 400
    assert f"No QA pairs with these ids: #{pair_b.pk}" in response.json()["detail"]


def test_the_review_queue_hands_a_member_only_their_tenants_pairs(worlds, member_a):
    response = client(member_a).post(f"{API}/qa-pairs/next/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["tenant_id"] == TENANT_A


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/jobs/", {"template_version": "VERSION", "record_count": 2, "target_surface": "training"}),
        ("/qa-pairs/", {"question": "Which tenant?", "answer": "Not mine."}),
        ("/collections/", {"slug": "theirs", "name": "Theirs", "purpose": "training"}),
        ("/imports/", {"path": "pairs.jsonl"}),
    ],
    ids=["job", "qa pair", "collection", "import"],
)
def test_creating_a_row_for_a_tenant_the_user_is_not_a_member_of_is_refused_naming_it(
    worlds, member_a, approved_version, url, body
):
    body = {key: approved_version.pk if value == "VERSION" else value for key, value in body.items()}

    response = client(member_a).post(f"{API}{url}", {**body, "tenant_id": TENANT_B}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == NOT_A_MEMBER.format(key=TENANT_B)
