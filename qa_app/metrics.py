"""The QA app's scrape-time figures for /metrics (registered from QaAppConfig.ready): two grouped queries.

Pending pairs per tenant read the `qa_pair_status_tenant` index (review_status, tenant_id) only:
on PostgreSQL an index-only scan of the pending entries, never the table (README "Health and metrics"
has the EXPLAIN at a million pairs).
"""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .models import QAPair, ReviewDecision


def pending_pairs_per_tenant() -> list[tuple[str, int]]:
    return list(
        QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING)
        .order_by()
        .values_list("tenant_id")
        .annotate(pairs=Count("*"))
    )


def review_metrics():
    pending = GaugeMetricFamily("synthgov_pending_pairs", "QA pairs waiting for review, by tenant.", labels=["tenant"])
    for tenant, pairs in pending_pairs_per_tenant():
        pending.add_metric([tenant], pairs)
    yield pending

    decisions = CounterMetricFamily(
        "synthgov_review_decisions",
        "Review decisions recorded, by decision and whether it was an adjudication.",
        labels=["decision", "adjudication"],
    )
    rows = ReviewDecision.objects.order_by().values_list("decision", "is_adjudication").annotate(n=Count("*"))
    for decision, is_adjudication, count in rows:
        decisions.add_metric([decision, "true" if is_adjudication else "false"], count)
    yield decisions
