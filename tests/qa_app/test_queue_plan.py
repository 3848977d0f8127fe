"""The review queue's orders are read from an index on PostgreSQL, never by sorting every pending pair."""

import pytest
from django.db import connection, transaction

from qa_app.selectors import review_queue
from tests.factories import QAPairFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")


def queue_plan(user, order: str) -> str:
    queryset = review_queue(acting_user=user, params={"order": order}).only("id")[:50]
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # With sorting priced out, a Sort node left in the plan means no index gives this order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("order", ["flagged", "quality", "oldest", "template_version"])
def test_each_queue_order_walks_an_index(reviewer, order):
    QAPairFactory.create_batch(3)
    QAPairFactory(flags=[{"code": "pii_email", "field": "answer", "match": "***"}])

    plan = queue_plan(reviewer, order)

    assert "Sort" not in plan, plan
