"""Two tenants by every changelist, change page, history page, custom page and action of the admin:
a member of tenant A finds A's objects and not B's; a user who sees every tenant finds both."""

import pytest
from django.urls import reverse

from qa_app.models import QAPair
from tenants_app.models import Tenant

from .conftest import TENANT_A, TENANT_B

# (admin URL name prefix, the world's object) for every tenant-owned model with a change page.
OBJECTS = {
    "qa_app_qapair": lambda w: w.pair,
    "qa_app_reviewdecision": lambda w: w.decision,
    "qa_app_importrun": lambda w: w.run,
    "qa_app_importlineissue": lambda w: w.issue,
    "jobs_app_generationjob": lambda w: w.job,
    "jobs_app_rejectedartifact": lambda w: w.artifact,
    "jobs_app_duplicaterecord": lambda w: w.duplicate,
    "collections_app_collection": lambda w: w.collection,
    "collections_app_membership": lambda w: w.collection.memberships.get(),
    "collections_app_release": lambda w: w.release,
    "collections_app_releaseitem": lambda w: w.item,
    "collections_app_membershipfill": lambda w: w.fill,
    "tenants_app_tenant": lambda w: Tenant.objects.get(key=w.collection.tenant_id),
    "webhooks_app_webhookendpoint": lambda w: w.endpoint,
    "webhooks_app_webhookdelivery": lambda w: w.delivery,
    "webhooks_app_webhookattempt": lambda w: w.attempt,
}
WITH_HISTORY = [
    "qa_app_qapair",
    "qa_app_importrun",
    "jobs_app_generationjob",
    "collections_app_collection",
    "collections_app_membership",
    "collections_app_release",
    "collections_app_membershipfill",
    "tenants_app_tenant",
    "webhooks_app_webhookendpoint",
]
# Pages of one object beyond the change page (GET).
PAGES = {
    "review page": lambda w: reverse("admin:qa_app_qapair_review", args=[w.pending.pk]),
    "job progress": lambda w: reverse("admin:jobs_app_generationjob_progress", args=[w.job.pk]),
    "import progress": lambda w: reverse("admin:qa_app_importrun_progress", args=[w.run.pk]),
    "fill progress": lambda w: reverse("admin:collections_app_membershipfill_progress", args=[w.fill.pk]),
    "collection fill form": lambda w: reverse("admin:collections_app_collection_fill", args=[w.collection.pk]),
    "release diff": lambda w: reverse("admin:collections_app_release_diff", args=[w.release.pk]),
    "release download": lambda w: reverse(
        "admin:collections_app_release_download", args=[w.release.pk, "manifest.json"]
    ),
}
# Buttons on change pages (POST), each a service call.
BUTTONS = {
    "approve pair": ("qa_app_qapair", lambda w: w.pending, "approve"),
    "reopen pair": ("qa_app_qapair", lambda w: w.pair, "reopen"),
    "cancel job": ("jobs_app_generationjob", lambda w: w.job, "cancel"),
    "cancel import": ("qa_app_importrun", lambda w: w.run, "cancel"),
    "release collection": ("collections_app_collection", lambda w: w.collection, "release"),
    "promote artifact": ("jobs_app_rejectedartifact", lambda w: w.artifact, "promote"),
}


def tenants_of(model_admin, pks) -> set[str]:
    """The tenants of the rows `pks` of the admin's model, read through its tenant path."""
    field = getattr(model_admin, "tenant_field", "key")
    return set(model_admin.model._default_manager.filter(pk__in=pks).values_list(field, flat=True))


def not_found(response) -> bool:
    """The admin's answers for an object it cannot find: a 404, or its redirect to the index
    with "… doesn't exist" (change and delete pages)."""
    return response.status_code == 404 or (response.status_code == 302 and response.url == reverse("admin:index"))


@pytest.mark.parametrize("name", OBJECTS)
def test_a_member_finds_only_their_tenants_rows_in_each_changelist(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(reverse(f"admin:{name}_changelist"))

    assert response.status_code == 200
    changelist = response.context["cl"]
    listed = {row.pk for row in changelist.result_list}
    assert OBJECTS[name](worlds[TENANT_A]).pk in listed
    assert tenants_of(changelist.model_admin, listed) == {TENANT_A}


@pytest.mark.parametrize("name", OBJECTS)
def test_a_user_who_sees_every_tenant_finds_both_in_each_changelist(admin_client_for, worlds, sees_all, name):
    response = admin_client_for(sees_all).get(reverse(f"admin:{name}_changelist"))

    listed = {row.pk for row in response.context["cl"].result_list}
    assert {OBJECTS[name](worlds[TENANT_A]).pk, OBJECTS[name](worlds[TENANT_B]).pk} <= listed


@pytest.mark.parametrize("name", OBJECTS)
def test_a_member_opens_their_tenants_change_page(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(
        reverse(f"admin:{name}_change", args=[OBJECTS[name](worlds[TENANT_A]).pk])
    )

    assert response.status_code == 200


@pytest.mark.parametrize("name", OBJECTS)
def test_another_tenants_change_page_is_not_found(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(
        reverse(f"admin:{name}_change", args=[OBJECTS[name](worlds[TENANT_B]).pk])
    )

    assert not_found(response)


@pytest.mark.parametrize("name", OBJECTS)
def test_a_user_who_sees_every_tenant_opens_another_tenants_change_page(admin_client_for, worlds, sees_all, name):
    response = admin_client_for(sees_all).get(
        reverse(f"admin:{name}_change", args=[OBJECTS[name](worlds[TENANT_B]).pk])
    )

    assert response.status_code == 200


@pytest.mark.parametrize("name", WITH_HISTORY)
def test_another_tenants_history_page_is_not_found(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(
        reverse(f"admin:{name}_history", args=[OBJECTS[name](worlds[TENANT_B]).pk])
    )

    assert response.status_code == 404


@pytest.mark.parametrize("name", WITH_HISTORY)
def test_a_member_opens_their_tenants_history_page(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(
        reverse(f"admin:{name}_history", args=[OBJECTS[name](worlds[TENANT_A]).pk])
    )

    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_another_tenants_custom_page_is_not_found(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(PAGES[name](worlds[TENANT_B]))

    assert not_found(response)


@pytest.mark.parametrize("name", PAGES)
def test_a_member_opens_their_tenants_custom_page(admin_client_for, worlds, member_a, name):
    response = admin_client_for(member_a).get(PAGES[name](worlds[TENANT_A]))

    assert response.status_code == 200


@pytest.mark.parametrize("name", BUTTONS)
def test_a_button_on_another_tenants_object_is_not_found_and_changes_nothing(admin_client_for, worlds, member_a, name):
    prefix, target, action = BUTTONS[name]
    obj = target(worlds[TENANT_B])
    before = {pair.pk: pair.review_status for pair in QAPair.objects.all()}

    response = admin_client_for(member_a).post(reverse(f"admin:{prefix}_object_action", args=[obj.pk, action]))

    assert response.status_code == 404
    assert {pair.pk: pair.review_status for pair in QAPair.objects.all()} == before


def test_a_changelist_action_skips_another_tenants_selected_pairs(admin_client_for, worlds, member_a):
    pending_b = worlds[TENANT_B].pending

    admin_client_for(member_a).post(
        reverse("admin:qa_app_qapair_changelist"),
        {"action": "approve_selected", "_selected_action": [pending_b.pk]},
    )

    pending_b.refresh_from_db()
    assert pending_b.review_status == QAPair.ReviewStatus.PENDING
    assert not pending_b.decisions.filter(reviewer=member_a).exists()


def test_autocomplete_offers_only_the_members_tenants_pairs(admin_client_for, worlds, member_a):
    response = admin_client_for(member_a).get(
        reverse("admin:autocomplete"),
        {"app_label": "collections_app", "model_name": "membership", "field_name": "qa_pair", "term": ""},
    )

    if response.status_code == 200:
        offered = {int(row["id"]) for row in response.json()["results"]}
        assert worlds[TENANT_B].pair.pk not in offered


def test_add_to_collection_offers_only_the_members_tenants_collections(admin_client_for, worlds, member_a):
    response = admin_client_for(member_a).post(
        reverse("admin:qa_app_qapair_changelist"),
        {"action": "add_to_collection", "_selected_action": [worlds[TENANT_A].pair.pk]},
    )

    offered = set(response.context["form"].fields["collection"].queryset)
    assert offered == {worlds[TENANT_A].collection}


def test_the_trigger_form_offers_the_members_tenants(admin_client_for, worlds, member_a):
    response = admin_client_for(member_a).get(reverse("admin:jobs_app_generationjob_trigger"))

    assert response.context["form"].fields["tenant_id"].choices == [(TENANT_A, TENANT_A)]


def test_the_review_dashboard_counts_only_the_members_tenants_pairs(admin_client_for, worlds, member_a):
    response = admin_client_for(member_a).get(reverse("admin:index"))

    figures = response.context["figures"]
    assert sum(figures.by_status.values()) == QAPair.objects.filter(tenant_id=TENANT_A).count()
