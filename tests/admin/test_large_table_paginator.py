"""LargeTablePaginator shows exactly the pages Django's own paginator shows."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa_app.models import QAPair
from synthgov.admin_tools import LargeTablePaginator
from tests.factories import QAPairFactory


def test_every_page_holds_the_same_rows_in_the_same_order_as_djangos_paginator(db):
    QAPairFactory.create_batch(23)
    ordered = QAPair.objects.order_by("-id")
    ours, django = LargeTablePaginator(ordered, 5, orphans=2), Paginator(ordered, 5, orphans=2)

    assert ours.num_pages == django.num_pages > 1
    for number in ours.page_range:
        assert list(ours.page(number)) == list(django.page(number))


def test_a_small_table_is_counted_exactly(db):
    QAPairFactory.create_batch(3)

    assert LargeTablePaginator(QAPair.objects.order_by("id"), 50).count == 3


def test_a_small_filtered_list_is_counted_exactly(db):
    QAPairFactory.create_batch(3, locale="de")
    QAPairFactory(locale="en")

    assert LargeTablePaginator(QAPair.objects.filter(locale="de").order_by("id"), 50).count == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner estimates")
def test_a_large_filtered_list_is_counted_from_the_planners_estimate_not_by_count(db, monkeypatch):
    QAPairFactory.create_batch(3, locale="de")
    monkeypatch.setattr(LargeTablePaginator, "exact_below", 1)
    paginator = LargeTablePaginator(QAPair.objects.filter(locale="de").order_by("id"), 50)

    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    assert count >= 1
    assert [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()] == []


def test_a_list_filtered_to_nothing_counts_zero(db):
    QAPairFactory()

    assert LargeTablePaginator(QAPair.objects.filter(pk__in=[]).order_by("id"), 50).count == 0


def test_lists_up_to_ten_thousand_rows_are_counted_exactly():
    # A COUNT reads every matching index entry: 100,000 (one tenant of ten at 1M pairs) cost half
    # of a changelist page, 10,000 a few per cent.
    assert LargeTablePaginator.exact_below == 10_000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner estimates")
def test_the_changelist_says_about_when_its_count_is_an_estimate(client, reviewer, monkeypatch):
    QAPairFactory.create_batch(3, locale="de")
    monkeypatch.setattr(LargeTablePaginator, "exact_below", 1)
    client.force_login(reviewer)

    response = client.get("/admin/qa_app/qapair/", {"locale": "de"})

    assert response.context["cl"].paginator.count_is_estimate
    assert b"about</span>" in response.content


def test_the_changelist_gives_an_exact_count_without_about(client, reviewer):
    QAPairFactory.create_batch(3, locale="de")
    client.force_login(reviewer)

    response = client.get("/admin/qa_app/qapair/", {"locale": "de"})

    assert not response.context["cl"].paginator.count_is_estimate
    assert b"about</span>" not in response.content
    assert b"3 QA pairs" in response.content
