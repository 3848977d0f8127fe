"""Liveness (/health/) and readiness (/health/ready/): the plumbing, and the checks synthgov owns.

Each readiness check is a django-health-check plugin (a `health_check.HealthCheck` whose `run`
raises `ServiceUnavailable` with a reason). synthgov registers the checks of the infrastructure
it configures (database, broker, cluster, storage); an app registers its own from its
AppConfig.ready (jobs_app: stale shards), so this module holds no domain logic.

The checks run one after another in the request's thread (`run_check`, reporting as the
library's `HealthCheck.get_result` does): the library's own view is async and runs synchronous
checks on executor threads, each with a database connection of its own that nothing closes (a
leak under a load balancer probing every few seconds), and Django refuses ORM queries inside an
event loop.
"""

import asyncio
import dataclasses
import datetime
import hmac
import inspect
import logging
import timeit
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check import Database, HealthCheck, Storage
from health_check.base import HealthCheckResult
from health_check.exceptions import HealthCheckException, ServiceUnavailable

logger = logging.getLogger(__name__)

CLUSTER_BEAT_SCHEDULE = "synthgov-cluster-beat"
CLUSTER_BEAT_FUNC = "synthgov.health.cluster_beat"
MINUTES = "I"  # django_q Schedule.MINUTES; a literal so migrations can pass their historical model

NO_BEAT_SCHEDULE = f"no schedule named {CLUSTER_BEAT_SCHEDULE!r}: run `manage.py migrate`"
NO_CLUSTER_BEAT = (
    "no q2 cluster has run its scheduler for {seconds} s (the beat was due at {due}): "
    "start `manage.py qcluster` or check its log"
)
# What an anonymous caller sees of a failing check; the reason is logged and shown to staff or with the token.
HIDDEN_DETAIL = "unavailable"

# name -> a callable that returns a HealthCheck (a class, or a factory reading settings at request time)
READINESS_CHECKS: dict[str, Callable[[], HealthCheck]] = {}


def register_readiness_check(name: str, factory: Callable[[], HealthCheck]) -> None:
    """Add a check to /health/ready/ under `name` (its key in the JSON answer)."""
    READINESS_CHECKS[name] = factory


# Checks of the infrastructure synthgov configures


@dataclasses.dataclass
class OrmBroker(HealthCheck):
    """django-q2's ORM broker: its queue table answers a query."""

    alias: str = "default"

    def run(self):
        from django.db import Error
        from django_q.models import OrmQ

        try:
            list(OrmQ.objects.using(self.alias).order_by().values_list("pk", flat=True)[:1])
        except Error as exc:
            raise ServiceUnavailable(f"the ORM broker's queue table does not answer: {exc}") from exc


def broker_check() -> HealthCheck:
    """Redis ping when REDIS_URL is set (django-q2's Redis broker), else the ORM broker's table."""
    redis_url = settings.Q_CLUSTER.get("redis")
    if redis_url:
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        return Redis(client_factory=lambda: RedisClient.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3))
    return OrmBroker(alias=settings.Q_CLUSTER.get("orm", "default"))


@dataclasses.dataclass
class ClusterBeat(HealthCheck):
    """At least one q2 cluster's scheduler ran within SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS.

    Every cluster's scheduler runs every 30 s and moves each due schedule's `next_run` past now.
    The beat schedule is due every minute, so while a scheduler runs it is never more than about
    30 s overdue; overdue by more than the limit means no scheduler ran for that long. The row
    is in the database whatever the broker, so this holds across machines (django-q2's own Stat
    lives in the cache, which each process may hold alone). It proves the cluster's guard loop
    is alive even when every worker is busy with a long shard, which a beat written by a task
    would not.
    """

    def run(self):
        from django_q.models import Schedule

        due = Schedule.objects.filter(name=CLUSTER_BEAT_SCHEDULE).values_list("next_run", flat=True).first()
        if due is None:
            raise ServiceUnavailable(NO_BEAT_SCHEDULE)
        overdue = (timezone.now() - due).total_seconds()
        if overdue > settings.SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS:
            raise ServiceUnavailable(
                NO_CLUSTER_BEAT.format(seconds=int(overdue), due=due.isoformat(timespec="seconds"))
            )


def cluster_beat() -> None:
    """The beat schedule's task: nothing to do; the scheduler moving the schedule along is the beat."""


def ensure_cluster_beat_schedule(Schedule) -> None:
    """`Schedule`: django_q's model, or its historical version in a migration."""
    Schedule.objects.update_or_create(
        name=CLUSTER_BEAT_SCHEDULE,
        defaults={"func": CLUSTER_BEAT_FUNC, "schedule_type": MINUTES, "minutes": 1, "repeats": -1},
    )


register_readiness_check("database", Database)
register_readiness_check("broker", broker_check)
register_readiness_check("cluster", ClusterBeat)
# Writes, reads and deletes a small file through default_storage (where release files go).
register_readiness_check("storage", Storage)


# Running them


def run_check(check: HealthCheck) -> HealthCheckResult:
    """Run one check in this thread, reporting as the library's `HealthCheck.get_result` does: its
    exceptions (ServiceUnavailable, ...) in their words, anything else as a generic error (logged)."""
    started = timeit.default_timer()
    error = None
    try:
        if inspect.iscoroutinefunction(check.run):
            asyncio.run(asyncio.wait_for(check.run(), check.timeout.total_seconds() + 1))
        else:
            check.run()
    except HealthCheckException as exc:
        error = exc
        logger.warning("Readiness check %r failed: %s", check, exc)
    except TimeoutError:
        error = ServiceUnavailable(f"Timed out after {check.timeout.total_seconds():g} seconds")
        logger.warning("Readiness check %r timed out", check)
    except Exception:
        logger.exception("Unexpected exception in readiness check %r", check)
        error = HealthCheckException("unknown error")
    return HealthCheckResult(check=check, error=error, time_taken=timeit.default_timer() - started)


def run_readiness_checks() -> dict[str, dict]:
    """{name: {"ok": bool, "error": str, "seconds": float}} for every registered check, in order."""
    results = {}
    for name, factory in READINESS_CHECKS.items():
        result = run_check(factory())
        results[name] = {
            "ok": result.error is None,
            "error": str(result.error) if result.error else "",
            "seconds": result.time_taken,
        }
    return results


def may_see_details(request) -> bool:
    """Staff users in a session, and callers sending the metrics token, see why a check failed."""
    token = settings.SYNTHGOV_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode()):
        return True
    try:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and user.is_staff)
    except DatabaseError:
        # The session needs the database, which may be what is down: answer 503 without details, never 500.
        return False


# Views (no authentication: load balancers and orchestrators call them)


@never_cache
@require_GET
def liveness(request):
    """The process answers: no database, no broker, nothing that could be slow."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readiness(request):
    """200 when every check passes, else 503; one entry per check."""
    results = run_readiness_checks()
    details = may_see_details(request)
    checks = {}
    for name, result in results.items():
        entry = {"status": "ok" if result["ok"] else "fail", "seconds": round(result["seconds"], 4)}
        if not result["ok"]:
            entry["error"] = result["error"] if details else HIDDEN_DETAIL
        checks[name] = entry
    ready = all(result["ok"] for result in results.values())
    body = {"status": "ok" if ready else "fail", "checked_at": _now(), "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
