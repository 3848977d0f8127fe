"""The tenant filter costs no query per row: the QA pair changelist and the API list of a member
run the same queries for 3 pairs as for 30 (pinned)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from qa_app.models import QAPair
from tenants_app.scoping import for_user, tenant_keys_visible_to
from tests.factories import QAPairFactory

# The queries of one page, whatever its number of rows: session, user, permissions, the
# member's tenant keys (one query), the count and the page (and the changelist's own reads); on
# PostgreSQL the paginator asks the planner's estimate (EXPLAIN) before counting.
CHANGELIST_QUERIES = 10 + (connection.vendor == "postgresql")
API_LIST_QUERIES = 4


@pytest.fixture
def member(make_user):
    return make_user("counted", "Reviewers", tenants=("acme",))


def _pairs(count: int) -> None:
    QAPairFactory.create_batch(count, tenant_id="acme")
    QAPairFactory.create_batch(count, tenant_id="globex")


def _changelist_queries(client, member) -> int:
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:qa_app_qapair_changelist")).status_code == 200
    return len(queries)


def _api_queries(member) -> int:
    api = APIClient()
    api.force_authenticate(member)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/qa-pairs/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [3, 30])
def test_the_qa_pair_changelist_of_a_member_runs_a_fixed_number_of_queries(client, member, count):
    _pairs(count)

    assert _changelist_queries(client, member) == CHANGELIST_QUERIES


@pytest.mark.parametrize("count", [3, 30])
def test_the_api_qa_pair_list_of_a_member_runs_a_fixed_number_of_queries(member, count):
    _pairs(count)

    assert _api_queries(member) == API_LIST_QUERIES


def test_the_tenant_keys_are_read_once_per_request(member, django_assert_num_queries):
    member.has_perm("tenants_app.view_all_tenants")  # permissions loaded, as in a request
    with django_assert_num_queries(1):
        tenant_keys_visible_to(member)
        for_user(QAPair.objects.all(), member)
        for_user(QAPair.objects.all(), member, "tenant_id")
