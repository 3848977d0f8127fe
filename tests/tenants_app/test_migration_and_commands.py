"""Existing tenant_id values become tenants; grant_role adds memberships; the demo has its tenant."""

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from jobs_app.models import GenerationJob
from tenants_app.migration_helpers import tenants_from_column
from tenants_app.models import Tenant, TenantMembership
from tests.factories import CollectionFactory, QAPairFactory, UserFactory


@pytest.mark.django_db
def test_the_data_migration_makes_a_tenant_of_every_stored_tenant_id():
    QAPairFactory(tenant_id="legacy-a")
    QAPairFactory(tenant_id="legacy-a")
    QAPairFactory(tenant_id="legacy b")  # stored as it is, even when not a slug
    CollectionFactory(tenant_id="", cross_tenant=True)

    tenants_from_column("qa_app", "QAPair")(apps, None)
    tenants_from_column("collections_app", "Collection")(apps, None)
    tenants_from_column("jobs_app", "GenerationJob")(apps, None)

    assert sorted(Tenant.objects.values_list("key", flat=True)) == ["legacy b", "legacy-a"]


@pytest.mark.django_db
def test_the_data_migration_run_twice_creates_nothing_more():
    QAPairFactory(tenant_id="legacy-a")
    forwards = tenants_from_column("qa_app", "QAPair")

    forwards(apps, None)
    forwards(apps, None)

    assert Tenant.objects.filter(key="legacy-a").count() == 1


@pytest.mark.django_db
def test_grant_role_with_a_tenant_adds_the_membership(capsys, suite_tenants):
    UserFactory(username="alice")

    call_command("grant_role", "alice", "Reviewers", "--tenant", "acme")

    assert TenantMembership.objects.filter(user__username="alice", tenant__key="acme").exists()
    assert "alice is now a member of tenant 'acme'" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["nowhere", "x" * 101, "nul\x00"], ids=["unknown", "over-long", "NUL"])
def test_grant_role_refuses_a_bad_tenant_in_one_line_and_grants_nothing(key):
    user = UserFactory(username="alice")

    with pytest.raises(CommandError):
        call_command("grant_role", "alice", "Reviewers", "--tenant", key)

    assert not user.groups.exists()
    assert not TenantMembership.objects.exists()


@pytest.mark.django_db
def test_the_demo_data_makes_every_demo_user_a_member_of_the_demo_tenant(settings, tmp_path):
    from synthgov.demo import DEMO_TENANT, DEMO_USERS, load_demo

    settings.VAR_DIR = tmp_path
    load_demo()

    members = set(TenantMembership.objects.filter(tenant__key=DEMO_TENANT).values_list("user__username", flat=True))
    assert members == set(DEMO_USERS)
    assert set(GenerationJob.objects.values_list("tenant_id", flat=True)) == {DEMO_TENANT}
