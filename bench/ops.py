"""Operations endpoints at scale: a /metrics scrape and /health/ready/, and the plan of the
pending-pairs-per-tenant query (the one collector query that grows with the pairs)."""

import re
import time

from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from qa_app.metrics import pending_pairs_per_tenant
from qa_app.models import QAPair
from synthgov.health import CLUSTER_BEAT_SCHEDULE

from .results import Result

REQUESTS = 20
TOKEN = "bench-metrics-token-0123456789abcdef"
SCRAPE_TARGET_MS = 1000


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed(client: Client, url: str, **headers) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    return (time.perf_counter() - started) * 1000, response.status_code


def _pending_plan() -> tuple[float, str]:
    """EXPLAIN ANALYZE of the collector's own statement: its execution time and the scan it uses."""
    statement, params = (
        QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING)
        .order_by()
        .values_list("tenant_id")
        .annotate(pairs=Count("*"))
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    milliseconds = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    scan = "index-only scan" if "Index Only Scan" in plan else ("index scan" if "Index Scan" in plan else "seq scan")
    return milliseconds, scan


def ops(n: int, repeat: int) -> list[Result]:
    total = QAPair.objects.count()
    pending = QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING).count()
    schedule = Schedule.objects.get(name=CLUSTER_BEAT_SCHEDULE)
    due = schedule.next_run
    # As if a cluster's scheduler had just run (no cluster runs in the benchmark).
    Schedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now() + timezone.timedelta(seconds=30))
    results = []
    try:
        with override_settings(SYNTHGOV_METRICS_TOKEN=TOKEN):
            client = Client()
            auth = {"Authorization": f"Bearer {TOKEN}"}
            for _ in range(2):
                _timed(client, "/metrics", **auth)
                _timed(client, "/health/ready/")
            requests = max(REQUESTS, repeat)
            scrapes = [_timed(client, "/metrics", **auth) for _ in range(requests)]
            readies = [_timed(client, "/health/ready/") for _ in range(requests)]
            with CaptureQueriesContext(connection) as queries:
                _timed(client, "/metrics", **auth)
        if {status for _, status in scrapes} != {200}:
            raise RuntimeError(f"/metrics answered {sorted({status for _, status in scrapes})}")
        ready_statuses = sorted({status for _, status in readies})
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            gated = label == "p50"
            results.append(
                Result(
                    scenario="ops",
                    n=total,
                    metric=f"/metrics scrape {label}",
                    unit="ms",
                    value=percentile([ms for ms, _ in scrapes], fraction),
                    target=f"< {SCRAPE_TARGET_MS} ms" if gated else "",
                    target_value=SCRAPE_TARGET_MS if gated else None,
                    target_kind="at_most" if gated else "",
                    note=f"{len(queries)} queries",
                )
            )
            results.append(
                Result(
                    scenario="ops",
                    n=total,
                    metric=f"/health/ready/ {label}",
                    unit="ms",
                    value=percentile([ms for ms, _ in readies], fraction),
                    note=f"answered {ready_statuses}",
                )
            )
        if connection.vendor == "postgresql":
            milliseconds, scan = _pending_plan()
            results.append(
                Result(
                    scenario="ops",
                    n=total,
                    metric=f"pending per tenant query ({pending:,} pending, {scan})",
                    unit="ms",
                    value=milliseconds,
                    note=scan,
                )
            )
        results.append(
            Result(
                scenario="ops",
                n=total,
                metric="tenants with pending pairs",
                unit="count",
                value=len(pending_pairs_per_tenant()),
            )
        )
    finally:
        Schedule.objects.filter(pk=schedule.pk).update(next_run=due)
    return results
