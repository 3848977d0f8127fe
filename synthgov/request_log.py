"""One console line for each refused request; tracebacks stay for real errors.

Django logs a refused request (403) through `django.request`, with the whole traceback of the
PermissionDenied in the admin and without the user or the reason in the API. The middleware below
logs one line for every 403 instead (status, method, path, user and the reason the user was given),
and the `NotARefusal` filter (settings LOGGING) drops Django's own record of it. Server errors
(5xx) keep their traceback.
"""

import logging

from django.core.exceptions import PermissionDenied

from .errors import PermissionRefused

logger = logging.getLogger("synthgov.refusals")

REFUSED = 403
NO_REASON = "permission denied"
MAX_REASON_CHARS = 500


class RefusalLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == REFUSED:
            log_refusal(request, response)
        return response

    def process_exception(self, request, exception):
        """Keep the reason of a refusal raised by a view; Django turns the exception into the 403 response."""
        if isinstance(exception, PermissionDenied | PermissionRefused):
            request.refusal_reason = str(exception)


def log_refusal(request, response) -> None:
    user = getattr(request, "user", None)
    username = user.get_username() if user is not None and user.is_authenticated else "anonymous"
    reason = " ".join(_reason(request, response).split())[:MAX_REASON_CHARS] or NO_REASON
    logger.warning(
        "Refused: %s %s %s user=%s: %s",
        response.status_code,
        request.method,
        request.path,
        username,
        reason,
        extra={"status_code": response.status_code, "request": request, "reason": reason},
    )


def _reason(request, response) -> str:
    if getattr(request, "refusal_reason", ""):
        return request.refusal_reason
    data = getattr(response, "data", None)  # a DRF response: its error message
    if isinstance(data, dict) and data.get("detail"):
        return str(data["detail"])
    return ""


def csrf_failure(request, reason=""):
    """Django's CSRF failure page, with the reason kept for the refusal's log line."""
    from django.views.csrf import csrf_failure as django_csrf_failure

    request.refusal_reason = f"CSRF verification failed: {reason}"
    return django_csrf_failure(request, reason=reason)


class NotARefusal(logging.Filter):
    """Drops Django's records of 403 responses: RefusalLogMiddleware logs each of them as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != REFUSED
