"""Serializer helpers shared by the apps' APIs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


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


def model_clean(instance) -> None:
    """Run the model's own clean() so the API enforces the invariants the admin does."""
    try:
        instance.clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


class Username(serializers.SlugRelatedField):
    """A user shown by username (read-only): who authored, decided or triggered."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, **kwargs)
