"""Serializer helpers shared by the apps' APIs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from synthgov.errors import InvalidInput

from .parsers import check_json_value

# Ids and other integers the database stores as 64-bit: larger ones are refused as input, not sent to a query.
MAX_DB_INTEGER = 2**63 - 1


class ErrorSerializer(serializers.Serializer):
    """Every error: `detail` says what went wrong and what to do; a field at fault is also named as a key."""

    detail = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input; the field at fault is named."),
    403: OpenApiResponse(ErrorSerializer, description="Missing permission."),
    404: OpenApiResponse(ErrorSerializer, description="Not found."),
    409: OpenApiResponse(ErrorSerializer, description="The object's state refuses the operation."),
}


def errors(*statuses: int) -> dict:
    """The documented error responses of an operation."""
    return {status: ERRORS[status] for status in statuses}


def refuse_unknown_ids(unknown: list[int], *, what: str, consequence: str) -> None:
    """A 400 naming (the first ten of) the ids that name nothing: "No QA pairs with these ids:
    #5, #9; nothing was changed." Callers list the unknown ids with the owning app's selector."""
    if unknown:
        shown = ", ".join(f"#{pk}" for pk in unknown[:10]) + (" and more" if len(unknown) > 10 else "")
        raise serializers.ValidationError(f"No {what} with these ids: {shown}; {consequence}.")


def model_clean(instance) -> None:
    """Run the model's own clean() so the API enforces the invariants the admin does."""
    try:
        instance.clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


class ReasonSerializer(serializers.Serializer):
    """The body of an action where a person may say why (archive, cancel, resume): kept in the history."""

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why; kept in the object's history."
    )


class Username(serializers.SlugRelatedField):
    """A user shown by username (read-only): who authored, decided or triggered; null when nobody (yet)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, allow_null=True, **kwargs)


class ObjectId(serializers.IntegerField):
    """The id of a row, as input: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_DB_INTEGER, **kwargs)


class JSONField(serializers.JSONField):
    """DRF's JSONField, but `null` sent inside a form is refused like a JSON null (unless allow_null),
    and the value passes the parsers' check (no NUL character, bounded nesting) however it was sent."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value is None and not self.allow_null:
            self.fail("null")
        try:
            check_json_value(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value


class ModelSerializer(serializers.ModelSerializer):
    """The apps' model serializers: model JSON fields become the JSONField above."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping, models.JSONField: JSONField}
