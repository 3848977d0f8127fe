"""Prometheus metrics at /metrics: the plumbing, request latency, and the q2 figures synthgov owns.

Web and worker processes are separate, so a figure that lives in the database (jobs by status,
pending pairs, queue depth) is read when Prometheus scrapes, by the collectors apps register
here (`register_collector`, from each AppConfig.ready): each yields metric families from a few
grouped queries, so a scrape costs the same number of queries whatever the row counts. Only what
this web process sees itself (request latency) is counted in-process.

Off unless SYNTHGOV_METRICS_TOKEN is set (then /metrics is a 404); callers send it as
`Authorization: Bearer <token>` (none: 401, another: 403).

With several web processes (gunicorn workers), each counts its own requests; set
PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode) to add them up across processes.
"""

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

METRICS_OFF = "Not found."
TOKEN_MISSING = "Send the metrics token: Authorization: Bearer <SYNTHGOV_METRICS_TOKEN>."
TOKEN_WRONG = "The metrics token is not the one this server expects."
UNRESOLVED_VIEW = "<unresolved>"

# In-process metrics of this web process.
REQUEST_REGISTRY = CollectorRegistry(auto_describe=False)
REQUEST_LATENCY = Histogram(
    "synthgov_http_request_duration_seconds",
    "Time from the request reaching Django's middleware to the response, by resolved view (never the raw path).",
    ["view", "method", "status"],
    registry=REQUEST_REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# name -> a callable yielding metric families, run at scrape time
COLLECTORS: dict[str, Callable[[], Iterable[Metric]]] = {}


def register_collector(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Add an app's scrape-time figures under `name` (shown in synthgov_metrics_collector_up)."""
    COLLECTORS[name] = collect


def metrics_enabled() -> bool:
    return bool(settings.SYNTHGOV_METRICS_TOKEN)


class RequestMetricsMiddleware:
    """Times every request and labels it with the resolved view's name (or its route), never the path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not metrics_enabled():
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        REQUEST_LATENCY.labels(view_label(request), request.method, _status_class(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED_VIEW
    return match.view_name or match.route or UNRESOLVED_VIEW


def _status_class(status: int) -> str:
    return f"{status // 100}xx"


class _ScrapeTimeCollectors:
    """Runs every registered collector; one that fails is reported as down, the others still answer."""

    def collect(self):
        up = GaugeMetricFamily(
            "synthgov_metrics_collector_up",
            "1 when the collector's queries answered at this scrape.",
            labels=["collector"],
        )
        for name, collect in COLLECTORS.items():
            try:
                families = list(collect())
            except Exception:
                logger.exception("Metrics collector %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def scrape() -> bytes:
    """The text exposition: this process's (or, in multiprocess mode, every process's) request
    metrics, then the database figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REQUEST_REGISTRY
    database = CollectorRegistry(auto_describe=False)
    database.register(_ScrapeTimeCollectors())
    return generate_latest(requests) + generate_latest(database)


@never_cache
@require_GET
def metrics_view(request):
    token = settings.SYNTHGOV_METRICS_TOKEN
    if not token:
        return JsonResponse({"detail": METRICS_OFF}, status=404)
    sent = request.headers.get("Authorization", "")
    if not sent.startswith("Bearer "):
        response = JsonResponse({"detail": TOKEN_MISSING}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not hmac.compare_digest(sent[7:].encode(), token.encode()):
        return JsonResponse({"detail": TOKEN_WRONG}, status=403)
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)


# The q2 figures synthgov configures


def q2_metrics():
    """Tasks waiting in the broker, and how long ago a cluster's scheduler last ran (the beat's lag)."""
    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.models import Schedule

    from .health import CLUSTER_BEAT_SCHEDULE

    queued = GaugeMetricFamily("synthgov_q2_queued_tasks", "Tasks waiting in the django-q2 broker (ORM or Redis).")
    queued.add_metric([], get_broker().queue_size())
    yield queued
    due = Schedule.objects.filter(name=CLUSTER_BEAT_SCHEDULE).values_list("next_run", flat=True).first()
    if due is not None:
        overdue = GaugeMetricFamily(
            "synthgov_q2_cluster_beat_overdue_seconds",
            "How far past due the cluster beat schedule is (at most ~30 s while a cluster's scheduler runs; "
            "negative: not yet due).",
        )
        overdue.add_metric([], (timezone.now() - due).total_seconds())
        yield overdue


register_collector("q2", q2_metrics)
