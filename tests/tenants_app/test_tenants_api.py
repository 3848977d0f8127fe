"""`/api/v1/tenants/`: the caller's tenants; memberships for who holds the model permissions."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tenants_app.api.views import USER_UNKNOWN
from tenants_app.models import Tenant, TenantMembership
from tenants_app.services import TENANT_KEY_INVALID
from tests.factories import UserFactory

TENANTS = "/api/v1/tenants/"


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def member(make_user):
    return make_user("member", tenants=("acme",))


@pytest.fixture
def manager(make_user):
    """May manage tenants and memberships (the model permissions), member of acme only."""
    user = make_user("manager", tenants=("acme",))
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="tenants_app").exclude(codename="view_all_tenants")
    )
    return user


def test_a_member_lists_their_tenants_only(member):
    response = client(member).get(TENANTS)

    assert [row["key"] for row in response.json()["results"]] == ["acme"]


def test_a_superuser_lists_every_tenant(suite_tenants):
    root = UserFactory(username="root", is_superuser=True)

    response = client(root).get(TENANTS)

    assert [row["key"] for row in response.json()["results"]] == ["acme", "globex"]


def test_another_tenants_detail_is_not_found(member):
    assert client(member).get(f"{TENANTS}globex/").status_code == 404
    assert client(member).get(f"{TENANTS}acme/").json()["key"] == "acme"


def test_a_member_without_the_permission_may_not_list_the_members(member):
    response = client(member).get(f"{TENANTS}acme/memberships/")

    assert response.status_code == 403
    assert "tenants_app.view_tenantmembership" in response.json()["detail"]


def test_a_manager_adds_and_removes_a_member(manager):
    UserFactory(username="newcomer")

    added = client(manager).post(f"{TENANTS}acme/memberships/", {"username": "newcomer"}, format="json")
    again = client(manager).post(f"{TENANTS}acme/memberships/", {"username": "newcomer"}, format="json")
    listed = client(manager).get(f"{TENANTS}acme/memberships/")
    removed = client(manager).delete(f"{TENANTS}acme/memberships/newcomer/")

    assert (added.status_code, again.status_code, removed.status_code) == (201, 200, 204)
    assert "newcomer" in [row["username"] for row in listed.json()]
    assert not TenantMembership.objects.filter(user__username="newcomer").exists()


def test_a_manager_cannot_manage_a_tenant_they_do_not_see(manager):
    UserFactory(username="newcomer")

    response = client(manager).post(f"{TENANTS}globex/memberships/", {"username": "newcomer"}, format="json")

    assert response.status_code == 404


def test_adding_an_unknown_user_is_refused_naming_them(manager):
    response = client(manager).post(f"{TENANTS}acme/memberships/", {"username": "ghost"}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == USER_UNKNOWN.format(username="ghost")


def test_creating_a_tenant_needs_the_permission(member):
    response = client(member).post(TENANTS, {"key": "initech", "name": "Initech"}, format="json")

    assert response.status_code == 403
    assert not Tenant.objects.filter(key="initech").exists()


def test_a_manager_creates_a_tenant(manager):
    response = client(manager).post(TENANTS, {"key": "initech", "name": "Initech"}, format="json")

    assert response.status_code == 201
    assert Tenant.objects.get(key="initech").name == "Initech"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "k" * 101, "name": "Long"}, "key"),
        ({"key": "nul", "name": "Bad\x00name"}, "name"),
        ({"key": "bad key", "name": "Spaces"}, "key"),
        ({"key": "fine", "name": "n" * 201}, "name"),
    ],
    ids=["over-long key", "NUL in name", "not a slug", "over-long name"],
)
def test_a_bad_tenant_is_refused_with_a_400_naming_the_field(manager, body, field):
    response = client(manager).post(TENANTS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Tenant.objects.exclude(key__in=["acme", "globex"]).exists()


@pytest.mark.parametrize("username", ["u" * 151, "nul\x00user"], ids=["over-long", "NUL"])
def test_a_bad_username_is_refused_with_a_400(manager, username):
    response = client(manager).post(f"{TENANTS}acme/memberships/", {"username": username}, format="json")

    assert response.status_code == 400


def test_removing_with_a_nul_username_is_not_found(manager):
    response = client(manager).delete(f"{TENANTS}acme/memberships/nul%00user/")

    assert response.status_code == 404


def test_the_service_refuses_an_over_long_key_before_the_database(manager):
    from synthgov.errors import InvalidInput
    from tenants_app.services import tenant_create

    with pytest.raises(InvalidInput) as refused:
        tenant_create(acting_user=manager, key="k" * 101)

    assert refused.value.message == TENANT_KEY_INVALID.format(field="key", limit=100, length=101)
