"""Filters several apps' API lists share."""

import django_filters
from django import forms

from .serializers import MAX_DB_INTEGER


class ObjectIdFilter(django_filters.NumberFilter):
    """A row id: a positive 64-bit integer; anything else is a 400, never a database error.

    Used instead of a choice of every row where rows belong to tenants: another tenant's id is then
    "no rows", exactly as an unknown id, rather than a 400 that would confirm it exists."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_DB_INTEGER, **kwargs)
