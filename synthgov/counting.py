"""Counting rows without reading them all: PostgreSQL's planner estimate when the result is large."""

import json

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def estimated_count(queryset: QuerySet, *, exact_below: int) -> tuple[int, bool]:
    """(count, exact): COUNT(*) on SQLite and for small results; on PostgreSQL the planner's row
    estimate when it says the result has at least `exact_below` rows, as a count would read every
    matching row (seconds for a common word among a million pairs)."""
    if connection.vendor == "postgresql":
        try:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing (an empty id list, .none())
            return 0, True
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate >= exact_below:
            return estimate, False
    return queryset.count(), True
