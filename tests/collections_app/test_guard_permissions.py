"""Who may change a collection's guarded settings (PII allowed, the synthetic wall, cross-tenant, its
tenant): approvers, not curators; in the service and in the admin. The API's side is in
tests/api/test_collection_guards.py."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from collections_app.models import Collection, Split
from collections_app.services import (
    ALLOW_PII_PERMISSION,
    CROSS_TENANT_PERMISSION,
    LIFT_WALL_PERMISSION,
    collection_add_pairs,
    collection_save,
)
from synthgov.errors import PermissionRefused, permission_missing_message
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory, collection_admin_form

GUARDED = {
    "allow_pii": ({"allow_pii": True}, ALLOW_PII_PERMISSION),
    "wall": ({"purpose": "evaluation", "allow_synthetic_in_evaluation": True}, LIFT_WALL_PERMISSION),
    "cross_tenant": ({"cross_tenant": True}, CROSS_TENANT_PERMISSION),
    "tenant": ({"tenant_id": "globex"}, CROSS_TENANT_PERMISSION),
}


# The admin release form: the formats to write, submitted.
RELEASE_FORM = {"apply": "1", "formats": ["openai_chat"]}


def change(collection, fields: dict) -> Collection:
    for name, value in fields.items():
        setattr(collection, name, value)
    return collection


@pytest.mark.parametrize("setting", GUARDED)
def test_a_curator_may_not_change_a_guarded_setting(curator, setting):
    fields, permission = GUARDED[setting]
    collection = CollectionFactory()

    with pytest.raises(PermissionRefused) as refused:
        collection_save(collection=change(collection, fields), acting_user=curator, reason="because")

    assert f"'{permission}'" in refused.value.message
    stored = Collection.objects.values(*fields).get(pk=collection.pk)
    assert stored != fields


@pytest.mark.parametrize("setting", GUARDED)
def test_an_approver_may_change_a_guarded_setting_and_the_history_says_so(approver, setting):
    grant_view_all_tenants(approver)  # making a collection cross-tenant needs to see every tenant
    fields, _ = GUARDED[setting]
    collection = CollectionFactory()

    collection_save(collection=change(collection, fields), acting_user=approver, reason="reviewed")

    assert Collection.objects.values(*fields).get(pk=collection.pk) == fields
    latest = collection.history.latest()
    assert latest.history_user.username == "approver"
    assert latest.history_change_reason.endswith(": reviewed")


def test_clearing_allow_pii_needs_the_permission_too(curator):
    collection = CollectionFactory(allow_pii=True)

    with pytest.raises(PermissionRefused, match="allow_pii_collection"):
        collection_save(collection=change(collection, {"allow_pii": False}), acting_user=curator)


def test_a_curator_may_create_a_collection_with_a_tenant_but_not_a_cross_tenant_one(curator):
    collection_save(collection=Collection(slug="own", name="Own", tenant_id="acme"), acting_user=curator)

    with pytest.raises(PermissionRefused) as refused:
        collection_save(collection=Collection(slug="all", name="All", cross_tenant=True), acting_user=curator)

    assert refused.value.message == permission_missing_message(
        "Making a collection cross-tenant (or single-tenant)", CROSS_TENANT_PERMISSION
    )
    assert list(Collection.objects.values_list("slug", flat=True)) == ["own"]


def test_a_curator_may_still_change_the_rest_of_a_collection(curator):
    collection = CollectionFactory()

    collection_save(collection=change(collection, {"name": "Renamed"}), acting_user=curator)

    assert Collection.objects.get(pk=collection.pk).name == "Renamed"


# --- admin ---


def change_url(collection) -> str:
    return reverse("admin:collections_app_collection_change", args=[collection.pk])


@pytest.mark.parametrize("field", ["allow_pii", "cross_tenant", "allow_synthetic_in_evaluation", "tenant_id"])
def test_the_admin_shows_guarded_fields_read_only_to_a_curator(client, curator, field):
    collection = CollectionFactory()
    client.force_login(curator)

    response = client.get(change_url(collection))

    assert response.status_code == 200
    assert field not in response.context["adminform"].form.fields


def test_a_curator_ticking_allow_pii_in_the_admin_changes_nothing_guarded(client, curator):
    collection = CollectionFactory()
    client.force_login(curator)

    response = client.post(change_url(collection), collection_admin_form(collection, allow_pii="on", name="Renamed"))

    assert response.status_code == 302
    collection.refresh_from_db()
    assert (collection.name, collection.allow_pii) == ("Renamed", False)


def test_an_approver_sets_allow_pii_and_cross_tenant_in_the_admin(client, approver):
    grant_view_all_tenants(approver)
    collection = CollectionFactory()
    client.force_login(approver)

    response = client.post(change_url(collection), collection_admin_form(collection, allow_pii="on", cross_tenant="on"))

    assert response.status_code == 302
    collection.refresh_from_db()
    assert (collection.allow_pii, collection.cross_tenant) == (True, True)


def test_an_approver_lifting_the_wall_in_the_admin_must_give_a_reason(client, approver):
    collection = CollectionFactory(purpose="evaluation")
    client.force_login(approver)
    lift = collection_admin_form(collection, allow_synthetic_in_evaluation="on")

    without_reason = client.post(change_url(collection), lift)
    with_reason = client.post(change_url(collection), {**lift, "reason": "synthetic probes only"})

    assert without_reason.status_code == 200
    assert with_reason.status_code == 302
    assert Collection.objects.get(pk=collection.pk).allow_synthetic_in_evaluation is True


def test_a_leak_refused_in_the_admin_is_a_message_on_the_collection_page(client, curator, approved_pair):
    grant_view_all_tenants(curator)
    collection = CollectionFactory(cross_tenant=True, tenant_id="")
    train = approved_pair(tenant_id="acme", question="Same?", answer="Yes.")
    test = approved_pair(tenant_id="globex", question="Same?", answer="Yes.")
    collection_add_pairs(collection=collection, pairs=[train], split=Split.TRAIN, acting_user=curator)
    collection_add_pairs(collection=collection, pairs=[test], split=Split.TEST, acting_user=curator)
    client.force_login(curator)

    response = client.post(
        reverse("admin:collections_app_collection_object_action", args=[collection.pk, "release"]), RELEASE_FORM
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(collection)
    (message,) = [str(message) for message in get_messages(response.wsgi_request)]
    assert f"train #{train.pk} and test #{test.pk}: same content" in message
    assert not collection.releases.exists()


def test_the_admin_shows_the_cross_collection_warning_after_a_release(client, curator, approved_pair):
    shared = approved_pair()
    trainer = CollectionFactory(slug="trainer")
    collection_add_pairs(collection=trainer, pairs=[shared], split=Split.TRAIN, acting_user=curator)
    client.force_login(curator)
    client.post(reverse("admin:collections_app_collection_object_action", args=[trainer.pk, "release"]), RELEASE_FORM)
    evaluation = CollectionFactory(slug="bench", purpose="evaluation")
    collection_add_pairs(collection=evaluation, pairs=[shared], split=Split.TEST, acting_user=curator)

    response = client.post(
        reverse("admin:collections_app_collection_object_action", args=[evaluation.pk, "release"]),
        RELEASE_FORM,
        follow=True,
    )

    warnings = [str(message) for message in response.context["messages"] if message.level_tag == "warning"]
    assert len(warnings) == 1
    assert "train split of trainer v1" in warnings[0]
