"""`GET /api/v1/<resource>/{id}/history/`: who changed a governed object, when, why, and what changed.

One action for every governed resource, read from django-simple-history's rows: newest first,
each with the fields it changed compared with the row before it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import pagination, serializers
from rest_framework.decorators import action

from .permissions import ViewThenServices
from .serializers import errors


class HistoryPagination(pagination.CursorPagination):
    """Keyset pages, newest row first (history ids grow with every change)."""

    ordering = "-history_id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


HISTORY_TYPES = [("+", "created"), ("~", "changed"), ("-", "deleted")]


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="The value before (foreign keys as ids).")
    new = serializers.JSONField(allow_null=True, help_text="The value after (foreign keys as ids).")


class HistoryRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The history row's id.")
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=HISTORY_TYPES, help_text="+ created, ~ changed, - deleted.")
    user = serializers.CharField(allow_null=True, help_text="Username of who made the change; null when nobody did.")
    reason = serializers.CharField(
        allow_null=True, help_text='What was done and why, e.g. "archived: superseded by v3" or "rejected: ...".'
    )
    changes = HistoryChangeSerializer(
        many=True, help_text="Fields that differ from the row before; empty for the first row."
    )


def _changes(row, previous) -> list[dict]:
    if previous is None:
        return []
    # Every field the history tracks, as diff_against compares them but including the fields that
    # are not editable in forms (is_current, content hashes, storage paths): diff_against leaves
    # those out (and fails when asked for them), yet services change them and an audit must show it.
    fields = sorted(row.tracked_fields, key=lambda field: field.name)
    return [
        {"field": field.name, "old": getattr(previous, field.attname), "new": getattr(row, field.attname)}
        for field in fields
        if getattr(previous, field.attname) != getattr(row, field.attname)
    ]


def history_rows(rows: list, *, before=None) -> list[dict]:
    """`rows` newest first, each compared with the next older one; `before` is the row older than the last."""
    older = [*rows[1:], before]
    return [
        {
            "id": row.history_id,
            "date": row.history_date,
            "type": row.history_type,
            "user": row.history_user.get_username() if row.history_user else None,
            "reason": row.history_change_reason,
            "changes": _changes(row, previous),
        }
        for row, previous in zip(rows, older, strict=True)
    ]


# Adds the read-only `history` action to a viewset of a model with simple-history's `history`.
# (A comment, not a docstring: drf-spectacular would show a docstring on every operation of the viewset.)
class HistoryMixin:
    @extend_schema(
        summary="The object's history: who changed what, when and why",
        description="Newest first. Each row names the user (null when nobody did, e.g. a worker finishing a "
        "job), the reason, and the fields that changed compared with the row before. Needs the permission "
        "to view the object.",
        responses={200: HistoryRowSerializer(many=True), **errors(403, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=HistoryPagination,
        permission_classes=[ViewThenServices],
    )
    def history(self, request, pk=None):
        instance = self.get_object()
        page = self.paginate_queryset(instance.history.select_related("history_user"))
        before = None
        if page:
            before = instance.history.filter(history_id__lt=page[-1].history_id).order_by("-history_id").first()
        return self.get_paginated_response(HistoryRowSerializer(history_rows(page, before=before), many=True).data)
