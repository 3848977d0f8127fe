"""LargeTablePaginator shows exactly the pages Django's own paginator shows."""

from django.core.paginator import Paginator

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
