import json

from django.db import connection
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from .models import QAPair


def qa_pair_count(*, chapter=None, subchapter=None) -> int:
    """Pairs generated from the taxonomy node's templates: one aggregate, for a detail page."""
    pairs = QAPair.objects.all()
    if chapter is not None:
        pairs = pairs.filter(template_version__template__chapter=chapter)
    if subchapter is not None:
        pairs = pairs.filter(template_version__template__subchapter=subchapter)
    return pairs.count()


def pairs_of_job(*, job_id: int) -> QuerySet:
    """The pairs a generation job made (for its counts, coverage and usage sums)."""
    return QAPair.objects.filter(job_id=job_id)


def qa_pairs_with_ids(ids: list[int]) -> QuerySet:
    """The pairs with these ids, only their ids loaded (for services that take pairs by id)."""
    return QAPair.objects.filter(pk__in=ids).only("pk")


def qa_pair_ids_unknown(ids: list[int]) -> list[int]:
    """The ids, sorted, that name no QA pair."""
    known = set(QAPair.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return sorted(set(ids) - known)


def qa_pair_duplicate_of(*, tenant_id: str, content_hash: str, exclude_pk: int | None = None) -> QAPair | None:
    """The tenant's pair with the same normalised content, if any."""
    return (
        QAPair.objects.filter(tenant_id=tenant_id, content_hash=content_hash, is_preview=False)
        .exclude(pk=exclude_pk)
        .only("pk")
        .first()
    )


def pairs_holding(*, tenant_id: str, hashes: list[str], job_id: int | None = None) -> dict[str, int]:
    """Ids of the pairs holding these content hashes: the tenant's non-preview pairs, and with
    `job_id` (a preview job) that job's own.

    Two queries, not one with OR: each is answered by an index (the per-tenant unique one is
    partial, on non-preview rows), where the OR made PostgreSQL read the whole table.
    """
    if not hashes:
        return {}
    tenant_pairs = QAPair.objects.filter(tenant_id=tenant_id, is_preview=False, content_hash__in=hashes)
    holders = dict(tenant_pairs.values_list("content_hash", "id"))
    if job_id is not None:
        job_pairs = QAPair.objects.filter(job_id=job_id, content_hash__in=hashes).values_list("content_hash", "id")
        holders.update((content_hash, pair_id) for content_hash, pair_id in job_pairs if content_hash not in holders)
    return holders


def job_record_indexes_with_pairs(*, job_id: int, start: int, stop: int) -> set[int]:
    """Record indexes in [start, stop) of a job that have a pair."""
    pairs = QAPair.objects.filter(job_id=job_id, record_index__gte=start, record_index__lt=stop)
    return set(pairs.values_list("record_index", flat=True))


# The review queue -----------------------------------------------------------------------------

QUEUE_ORDERS = {
    "flagged": ("Flagged first", (Case(When(flags=[], then=Value(1)), default=Value(0)), "id")),
    "quality": ("Lowest quality first", ("quality_score", "id")),
    "oldest": ("Oldest first", ("id",)),
    "template_version": ("By template version", ("template_version_id", "id")),
}
DEFAULT_QUEUE_ORDER = "oldest"
# The filters the queue understands until the search branch's `qa_pairs_filtered` replaces
# `review_queue_filtered`: query-string name -> model lookup.
QUEUE_FILTERS = {
    "template_version": "template_version_id",
    "job": "job_id",
    "source": "source",
    "tenant": "tenant_id",
    "locale": "locale",
}
QUEUE_ID_FILTERS = ("template_version", "job")
# "Decided by you today" counts up to this many and then shows "N+".
DECISIONS_TODAY_CAP = 1000
# Above this many rows PostgreSQL's planner estimate stands in for COUNT(*) ("about N").
EXACT_COUNT_LIMIT = 10_000


def queue_params(params) -> dict[str, str]:
    """The queue's filters and order from a query string or request body, unknown keys dropped."""
    kept = {name: str(params.get(name)).strip() for name in (*QUEUE_FILTERS, "order") if params.get(name)}
    if kept.get("order") not in QUEUE_ORDERS:
        kept.pop("order", None)
    return kept


def review_queue_filtered(queryset: QuerySet, params: dict) -> QuerySet:
    """The queue's filters (template version, job, source, tenant, locale).

    The one place to swap for `qa_pairs_filtered(queryset, params)` once the search branch's
    filter definitions are merged. Id filters that are not whole numbers match nothing.
    """
    for name, lookup in QUEUE_FILTERS.items():
        value = params.get(name)
        if not value:
            continue
        if name in QUEUE_ID_FILTERS and not str(value).isdigit():
            return queryset.none()
        queryset = queryset.filter(**{lookup: value})
    return queryset


def review_queue(*, acting_user, params: dict | None = None, now=None) -> QuerySet:
    """The pending pairs `acting_user` may be handed, in the queue's order: no other reviewer
    holds an unexpired claim on them."""
    params = params or {}
    now = now or timezone.now()
    pairs = review_queue_filtered(QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING), params)
    pairs = pairs.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=acting_user))
    _, ordering = QUEUE_ORDERS[params.get("order") or DEFAULT_QUEUE_ORDER]
    return pairs.order_by(*ordering)


def estimated_count(queryset: QuerySet, *, exact_below: int = EXACT_COUNT_LIMIT) -> tuple[int, bool]:
    """(count, exact): COUNT(*) on SQLite and for small results; on PostgreSQL the planner's row
    estimate when it says the result is large, as a count would read every matching row."""
    if connection.vendor == "postgresql":
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate >= exact_below:
            return estimate, False
    return queryset.count(), True


def decisions_today(*, user, now=None, cap: int = DECISIONS_TODAY_CAP) -> int:
    """The pairs whose current decision `user` made since midnight (server time zone), counted up
    to `cap` (a bulk approval of a million pairs must not make every page count them)."""
    now = timezone.localtime(now or timezone.now())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return QAPair.objects.filter(reviewed_by=user, reviewed_at__gte=midnight).order_by()[:cap].count()
