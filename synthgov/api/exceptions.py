"""One error shape for every API response: {"detail": message}, plus {field: [message]} when a field is at fault."""

from collections import Counter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from synthgov.errors import DomainError

CHANGED_MEANWHILE = "Someone else changed this object's state meanwhile; nothing was changed. Reload it and try again."
STILL_REFERENCED = "{object} cannot be deleted: {referrers} still refer to it. Remove or reassign them first."


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
    if isinstance(exc, DjangoValidationError):
        # A model invariant (clean() or save()) that no serializer caught: same shape as a serializer's error.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return drf_exception_handler(exc, context)


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


def endpoint_not_found(request):
    """A URL under /api/ that no endpoint serves answers in the API's JSON shape, not with an HTML page."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}; the endpoints are listed at /api/docs/."},
        status=status.HTTP_404_NOT_FOUND,
    )
