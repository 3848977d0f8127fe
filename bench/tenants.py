"""The tenant filter's cost: the admin QA pair changelist and the API qa-pairs list with the pairs
spread over 10 tenants, as a member of one tenant, as a user who sees every tenant, and as the
member with the filter switched off (the code without it). Target: the filter costs at most 10 %.

The fixture's pairs all belong to tenant "bench"; for the measurement they are spread over ten
tenants by id (one UPDATE), and put back afterwards.
"""

from contextlib import contextmanager
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from qa_app.models import QAPair
from tenants_app.models import Tenant, TenantMembership
from tenants_app.services import tenants_ensure

from .fixture import TENANT
from .results import Result

TENANTS = [f"bench-t{index}" for index in range(10)]
MEMBER, VIEW_ALL = "bench-tenant-member", "bench-tenant-view-all"
# Many rounds after several unmeasured ones, so that one slow request moves no p50.
REQUESTS = 60
WARM_UP_ROUNDS = 5


def _spread(to_tenants: bool) -> None:
    with connection.cursor() as cursor:
        if to_tenants:
            cursor.execute(
                "UPDATE qa_app_qapair SET tenant_id = 'bench-t' || (id %% 10) WHERE tenant_id = %s", [TENANT]
            )
        else:
            cursor.execute("UPDATE qa_app_qapair SET tenant_id = %s WHERE tenant_id LIKE 'bench-t%%'", [TENANT])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE qa_app_qapair")


def _user(username: str):
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_qapair", "change_qapair"]))
    return user


@contextmanager
def _without_filter():
    """The member's requests as the code ran before tenants: every scoping helper lets all rows through."""
    passthrough = lambda queryset, user, field="tenant_id": queryset  # noqa: E731
    with (
        mock.patch("tenants_app.admin_scoping.for_user", passthrough),
        mock.patch("tenants_app.api.scoping.for_user", passthrough),
    ):
        yield


def _interleaved(variants: dict) -> dict[str, list[float]]:
    """Latencies of each variant (name -> (client, url, unfiltered)), measured in turns so that load
    from elsewhere on the machine hits every variant alike."""
    from .scenarios import _timed_get

    latencies = {name: [] for name in variants}
    for round_number in range(REQUESTS + WARM_UP_ROUNDS):
        for name, (client, url, unfiltered) in variants.items():
            if unfiltered:
                with _without_filter():
                    elapsed = _timed_get(client, url)
            else:
                elapsed = _timed_get(client, url)
            if round_number >= WARM_UP_ROUNDS:
                latencies[name].append(elapsed)
    return latencies


def _clients(user) -> tuple[Client, Client]:
    admin = Client()
    admin.force_login(user)
    token, _ = Token.objects.get_or_create(user=user)
    return admin, Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def tenant_filter(n: int, repeat: int) -> list[Result]:
    from .scenarios import percentile

    global REQUESTS
    REQUESTS = max(REQUESTS, repeat)
    _spread(True)
    try:
        tenants_ensure(TENANTS)
        member, view_all = _user(MEMBER), _user(VIEW_ALL)
        TenantMembership.objects.get_or_create(tenant=Tenant.objects.get(key=TENANTS[3]), user=member)
        view_all.user_permissions.add(Permission.objects.get(codename="view_all_tenants"))
        total = QAPair.objects.count()
        pages = {"admin changelist page 1": "/admin/qa_app/qapair/", "api qa-pairs list page 1": "/api/v1/qa-pairs/"}
        results = []
        for name, url in pages.items():
            which = 0 if name.startswith("admin") else 1
            member_client, view_all_client = _clients(member)[which], _clients(view_all)[which]
            latencies = _interleaved(
                {
                    "unfiltered": (member_client, url, True),
                    "member of 1 of 10 tenants": (member_client, url, False),
                    "view-all user": (view_all_client, url, False),
                }
            )
            reference = percentile(latencies.pop("unfiltered"), 0.5)
            for who, measured in latencies.items():
                results.append(
                    Result(
                        scenario="tenant_filter",
                        n=total,
                        metric=f"{name} p50, {who}",
                        unit="ms",
                        value=percentile(measured, 0.5),
                        reference="same page without the filter ms",
                        reference_value=reference,
                        target="≤ 1.10 × unfiltered",
                        target_value=1.10,
                        target_kind="ratio_at_most",
                    )
                )
        return results
    finally:
        get_user_model().objects.filter(username__in=[MEMBER, VIEW_ALL]).delete()
        Tenant.objects.filter(key__in=TENANTS).delete()
        _spread(False)
