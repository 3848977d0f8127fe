"""One error shape for every API response: {"detail": message}, plus {field: [message]} when a field is at fault."""

from collections import Counter

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from synthgov.errors import DomainError

from .parsers import BODY_TOO_LARGE

CHANGED_MEANWHILE = "Someone else changed this object's state meanwhile; nothing was changed. Reload it and try again."
STILL_REFERENCED = "{object} cannot be deleted: {referrers} still refer to it. Remove or reassign them first."
TOO_MANY_PARTS = "The request body is too large ({reason}); send less in one request (e.g. fewer ids)."


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"detail": exc.message, **exc.problems}, status=exc.http_status)
    if isinstance(exc, ConcurrentTransition):
        set_rollback()
        return Response({"detail": CHANGED_MEANWHILE}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TransitionNotAllowed):
        # Services check transitions first; this is the model's own guard, reached only through a race.
        set_rollback()
        return Response({"detail": f"{exc}. Reload it and try again."}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProtectedError | RestrictedError):
        set_rollback()
        return Response({"detail": _still_referenced(context, exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        # Django's own limits on bodies (DATA_UPLOAD_MAX_*); it would answer with an HTML page.
        message = BODY_TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response({"detail": message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": TOO_MANY_PARTS.format(reason=exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        # A model invariant (clean() or save()) that no serializer caught: same shape as a serializer's error.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = with_detail(response.data)
    return response


def with_detail(data):
    """Every error body has a `detail` (the documented error shape); field errors keep their keys beside it."""
    if isinstance(data, dict) and "detail" in data:
        return data
    if isinstance(data, list):
        data = {"non_field_errors": data}
    if not isinstance(data, dict):
        return {"detail": str(data)}
    problems = (
        _first_message(value) if name == "non_field_errors" else f"{name}: {_first_message(value)}"
        for name, value in data.items()
    )
    return {"detail": " ".join(problems), **data}


def _first_message(value) -> str:
    """The first message of a field's (possibly nested) errors, with the position it refers to."""
    prefix = ""
    while isinstance(value, dict | list) and value:
        if isinstance(value, dict):
            key, value = next(iter(value.items()))
            prefix += f"[{key}] "
        else:
            value = value[0]
    return f"{prefix}{value}"


def _still_referenced(context, exc: ProtectedError | RestrictedError) -> str:
    counts: Counter = Counter(
        referrer._meta
        for referrer in (exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects)
    )
    referrers = ", ".join(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for meta, count in sorted(counts.items(), key=lambda item: item[0].label)
    )
    queryset = getattr(context.get("view"), "queryset", None)
    subject = f"This {queryset.model._meta.verbose_name}" if queryset is not None else "This object"
    return STILL_REFERENCED.format(object=subject, referrers=referrers)


@csrf_exempt
def endpoint_not_found(request):
    """A URL under /api/ that no endpoint serves answers in the API's JSON shape, not with an HTML page."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}; the endpoints are listed at /api/docs/."},
        status=status.HTTP_404_NOT_FOUND,
    )
