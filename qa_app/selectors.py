import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Case, Count, F, Func, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone

from synthgov import counting
from tenants_app.scoping import for_user

from . import search
from .assessment import FLAG_CODES
from .assessment.index import configured_hasher
from .assessment.minhash import record_text
from .filters import QAPairFilter
from .models import NearDuplicateBucket, QAPair, ReviewDecision


def qa_pairs_matching(queryset: QuerySet, text: str | None, *, ranked: bool = True) -> QuerySet:
    """The pairs of `queryset` whose question, answer or context match `text`, in web-search syntax:
    words (all must occur, stemmed: "running" finds "run"), "quoted phrases", `or`, `-excluded`.

    PostgreSQL answers from the GIN-indexed `search_vector` column (websearch_to_tsquery), SQLite
    from its FTS5 table (qa_app/search.py); callers never see which. With `ranked` the result is
    annotated with `search_rank` (higher is better) and ordered by it, newest first among equals
    (on PostgreSQL only when fewer than `search.SEARCH_PROBE_LIMIT` pairs match: ranking a common
    word's hundreds of thousands of matches would take seconds, so those keep the queryset's
    order); without, the queryset keeps its own order (the API pages by id). On PostgreSQL one
    query runs at once (which pairs match; see `search.matching`). An empty `text` changes nothing.
    Raises InvalidInput (field `search`) for a text over `MAX_SEARCH_CHARS` or with a NUL.
    """
    text = search.clean_search(text)
    if not text:
        return queryset
    return search.matching(queryset, text, ranked=ranked)


def qa_pair_count(*, chapter=None, subchapter=None, user=None) -> int:
    """Pairs in the taxonomy node (generated or imported, as the chapter filters find them): one
    aggregate, answered from the taxonomy index, for a detail page. With `user`, only the pairs of
    the tenants they see (the taxonomy is shared; the pairs under it are not)."""
    pairs = QAPair.objects.all() if user is None else for_user(QAPair.objects.all(), user)
    if chapter is not None:
        pairs = pairs.in_chapter(chapter.key)
    if subchapter is not None:
        pairs = pairs.in_subchapter(subchapter.chapter.key, subchapter.key)
    return pairs.count()


def pairs_of_job(*, job_id: int) -> QuerySet:
    """The pairs a generation job made (for its counts, coverage and usage sums)."""
    return QAPair.objects.filter(job_id=job_id)


def qa_pairs_with_ids(ids: list[int]) -> QuerySet:
    """The pairs with these ids, only their ids loaded (for services that take pairs by id)."""
    return QAPair.objects.filter(pk__in=ids).only("pk")


def qa_pair_ids_unknown(ids: list[int], *, user=None) -> list[int]:
    """The ids, sorted, that name no QA pair (that `user` sees: another tenant's pair is unknown to them)."""
    pairs = QAPair.objects.filter(pk__in=ids)
    if user is not None:
        pairs = for_user(pairs, user)
    known = set(pairs.values_list("pk", flat=True))
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


def qa_pairs_filtered(queryset: QuerySet, params) -> tuple[QuerySet, dict[str, list[str]]]:
    """Apply the queue's filters (qa_app.filters.QAPairFilter, the same the API and the admin use)
    named in `params` — a request's GET (a QueryDict) or a plain dict — to `queryset`.

    Parameters: `search` (full-text, web-search syntax), `review_status`, `source`, `tenant_id`,
    `locale`, `job`, `template_version`, `chapter`, `subchapter`, `template` (ids), `is_preview`,
    `quality_score_min`/`_max`, `judge_score_min`/`_max` (the LLM judge's score, 0..1), `flag`
    (a code from qa_app.assessment.FLAG_CODES, repeatable: every one given must be present),
    `has_near_duplicate`, `flagged` (true/false). Other parameters (ordering, paging) are ignored.

    Returns (the filtered queryset, {}) or, when a value is malformed or names no object,
    (`queryset.none()`, {parameter: [messages]}) so the caller can show what to correct. The
    queryset keeps its ordering; rank search results with `qa_pairs_matching` if wanted.
    """
    if not isinstance(params, QueryDict):
        plain, params = params, QueryDict(mutable=True)
        for name, value in plain.items():
            params.setlist(name, [str(each) for each in value] if isinstance(value, list | tuple) else [str(value)])
    filterset = QAPairFilter(params, queryset=queryset)
    if not filterset.is_valid():
        return queryset.none(), {field: list(messages) for field, messages in filterset.errors.items()}
    return filterset.qs, {}


def approved_pairs_filtered(params) -> tuple[QuerySet, dict[str, list[str]]]:
    """The approved, releasable-in-principle (non-preview) pairs matching `params`, qa_app's filters
    as `qa_pairs_filtered` reads them (collections fill themselves from it: "add all approved pairs
    matching this filter"). The queryset is unordered; (queryset.none(), errors) for a bad value."""
    approved = QAPair.objects.filter(review_status=QAPair.ReviewStatus.APPROVED, is_preview=False).order_by()
    return qa_pairs_filtered(approved, params)


def decisions_visible_to(pair: QAPair, user) -> tuple[list[ReviewDecision], int]:
    """The pair's decisions that `user` may see, oldest first, and how many are hidden.

    Blind review: while a pair is pending, the decisions of its current round are hidden from
    everyone but their own reviewer, so nobody decides knowing how another reviewer did. Earlier
    rounds, and every round once the pair is decided or awaits adjudication, are shown.
    """
    decisions = list(
        ReviewDecision.objects.filter(pair=pair)
        .select_related("reviewer", "reject_reason")
        .order_by("decided_at", "pk")
    )
    if pair.review_status != QAPair.ReviewStatus.PENDING:
        return decisions, 0
    visible = [
        decision for decision in decisions if decision.round != pair.review_round or decision.reviewer_id == user.pk
    ]
    return visible, len(decisions) - len(visible)


@dataclass(frozen=True)
class ReviewDashboard:
    by_status: dict[str, int]
    # Pending pairs a reviewer holds an unexpired claim on (opened from the review queue).
    claimed: int
    # (username, decisions, approvals, rejections) in the last `days` days, most decisions first.
    per_reviewer: list[tuple[str, int, int, int]]
    # (template version id, label, approved, rejected, approval %, mostly rejected) per version with decided pairs.
    per_version: list[tuple[int, str, int, int, float, bool]]
    days: int


def review_dashboard(*, user=None, days: int = 7, now=None) -> ReviewDashboard:
    """The admin index's review figures, three aggregate queries whatever the table size; over the
    tenants `user` sees (None: every tenant)."""
    now = now or timezone.now()
    pairs = QAPair.objects.all() if user is None else for_user(QAPair.objects.all(), user)
    decisions = (
        ReviewDecision.objects.all()
        if user is None
        else for_user(ReviewDecision.objects.all(), user, "pair__tenant_id")
    )
    counts = list(
        pairs.order_by()
        .values_list("review_status")
        .annotate(count=Count("pk"), claimed=Count("pk", filter=Q(claimed_until__gt=now)))
    )
    by_status = {status: count for status, count, _ in counts}
    claimed = sum(claimed for status, _, claimed in counts if status == QAPair.ReviewStatus.PENDING)
    since = now - timedelta(days=days)
    per_reviewer = [
        (row["reviewer__username"], row["total"], row["approvals"], row["rejections"])
        for row in decisions.filter(decided_at__gte=since)
        .values("reviewer__username")
        .annotate(
            total=Count("pk"),
            approvals=Count("pk", filter=~Q(decision=ReviewDecision.Decision.REJECT)),
            rejections=Count("pk", filter=Q(decision=ReviewDecision.Decision.REJECT)),
        )
        .order_by("-total", "reviewer__username")
    ]
    per_version = []
    rows = (
        pairs.filter(
            template_version__isnull=False,
            review_status__in=[QAPair.ReviewStatus.APPROVED, QAPair.ReviewStatus.REJECTED],
        )
        .values("template_version_id", "template_version__template__key", "template_version__version")
        .annotate(
            approved=Count("pk", filter=Q(review_status=QAPair.ReviewStatus.APPROVED)),
            rejected=Count("pk", filter=Q(review_status=QAPair.ReviewStatus.REJECTED)),
        )
        .order_by("template_version__template__key", "template_version__version")
    )
    for row in rows:
        approved, rejected = row["approved"], row["rejected"]
        rate = 100 * approved / (approved + rejected)
        label = f"{row['template_version__template__key']} v{row['template_version__version']}"
        per_version.append((row["template_version_id"], label, approved, rejected, round(rate, 1), rate < 50))
    return ReviewDashboard(
        by_status=by_status, claimed=claimed, per_reviewer=per_reviewer, per_version=per_version, days=days
    )


# The review queue -----------------------------------------------------------------------------

QUEUE_ORDERS = {
    "flagged": ("Flagged first", (Case(When(flags=[], then=Value(1)), default=Value(0)), "id")),
    "quality": ("Lowest quality first", ("quality_score", "id")),
    "oldest": ("Oldest first", ("id",)),
    "template_version": ("By template version", ("template_version_id", "id")),
}
DEFAULT_QUEUE_ORDER = "oldest"
# The queue takes the QA pair list's filters (qa_app.filters.QAPairFilter), except the status:
# the queue is the pending pairs.
QUEUE_FILTERS = tuple(name for name in QAPairFilter.base_filters if name not in ("review_status", "is_preview"))
# "Decided by you today" counts up to this many and then shows "N+".
DECISIONS_TODAY_CAP = 1000


def queue_params(params) -> dict[str, str]:
    """The queue's filters and order from a query string or request body, unknown keys and empty
    values dropped (one value each: what the queue carries from pair to pair in its links)."""
    kept = {name: str(params.get(name)).strip() for name in (*QUEUE_FILTERS, "order") if params.get(name)}
    kept = {name: value for name, value in kept.items() if value}
    if kept.get("order") not in QUEUE_ORDERS:
        kept.pop("order", None)
    return kept


def review_queue_filtered(queryset: QuerySet, params: dict) -> QuerySet:
    """The queue's filters: `qa_pairs_filtered`, the QA pair list's; a malformed value matches nothing."""
    filtered, _ = qa_pairs_filtered(queryset, {name: value for name, value in params.items() if name != "order"})
    return filtered


def review_queue(*, acting_user, params: dict | None = None, now=None) -> QuerySet:
    """The pending pairs `acting_user` may be handed, in the queue's order: no other reviewer
    holds an unexpired claim on them, of the tenants they see."""
    params = params or {}
    now = now or timezone.now()
    pending = for_user(QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING), acting_user)
    pairs = review_queue_filtered(pending, params)
    pairs = pairs.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=acting_user))
    _, ordering = QUEUE_ORDERS[params.get("order") or DEFAULT_QUEUE_ORDER]
    return pairs.order_by(*ordering)


def estimated_count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, exact) of the queue: synthgov.counting's estimate above its limit on PostgreSQL."""
    return counting.estimated_count(queryset)


def decisions_today(*, user, now=None, cap: int = DECISIONS_TODAY_CAP) -> int:
    """The pairs whose current decision `user` made since midnight (server time zone), counted up
    to `cap` (a bulk approval of a million pairs must not make every page count them)."""
    now = timezone.localtime(now or timezone.now())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return QAPair.objects.filter(reviewed_by=user, reviewed_at__gte=midnight).order_by()[:cap].count()


# --- Guards that collections_app applies to pairs (PII at release, near-duplicates across splits) ---

PII_FLAG_CODES = tuple(code for code in FLAG_CODES if code.startswith("pii_"))


class _HasPiiFlag(Func):
    """Whether a `flags` column holds a flag with one of the PII codes, on the column as joined."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        # SQLite has no JSON containment: the flags' array is walked with json_each.
        column, params = compiler.compile(self.source_expressions[0])
        codes = ", ".join(["%s"] * len(PII_FLAG_CODES))
        code_of = "CASE WHEN type = 'object' THEN json_extract(value, '$.code') END"
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE {code_of} IN ({codes}))", [*params, *PII_FLAG_CODES]

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        codes = ", ".join(["%s::jsonb"] * len(PII_FLAG_CODES))
        values = [json.dumps([{"code": code}]) for code in PII_FLAG_CODES]
        return f"({column} @> ANY(ARRAY[{codes}]))", [*params, *values]


def pii_flagged(*, pair: str = "") -> Q:
    """Pairs whose current text carries a PII flag (the assessment sets `flags` after every content
    change). `pair` is the path to the QA pair from the queried model ("" for QAPair, "qa_pair__" ...)."""
    return Q(_HasPiiFlag(F(f"{pair}flags")))


@dataclass(frozen=True)
class NearDuplicate:
    """Two pairs whose texts are near-duplicates (estimated Jaccard similarity at or above the threshold)."""

    pair_id: int
    label: str
    other_id: int
    other_label: str
    similarity: float


# Candidate rows fetched from the database at a time (each chunk is verified before the next is read).
CANDIDATE_CHUNK = 2_000


def near_duplicates_between(labelled: QuerySet, *, label: str, others: list[str], limit: int) -> list[NearDuplicate]:
    """Near-duplicates between the pairs labelled `label` and those labelled one of `others`.

    `labelled` yields (pair id, label) rows, e.g. a release's items as (qa_pair_id, split). The
    database proposes the candidates: pairs of the two sides that share a MinHash LSH bucket
    (NearDuplicateBucket, kept by generation and by every assessment), joined on the bucket, so no
    signature is loaded for a pair that shares no bucket with the other side. Each candidate is then
    verified on the pairs' current text (a bucket collision, or a stale bucket, never makes a match).
    Exact duplicates are near-duplicates too (similarity 1). At most `limit` are returned, ordered
    by (pair id, other id).
    """
    hasher = configured_hasher()
    labelled_sql, labelled_params = labelled.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    buckets = quote(NearDuplicateBucket._meta.db_table)
    placeholders = ", ".join(["%s"] * len(others))
    # Each side joins the bucket table on its own (read twice, in parallel): materialised once and
    # used twice, PostgreSQL misjudged the CTE's size and merge-joined it through disk sorts
    # (1.5 s against 0.5 s at 80,000 released pairs), so it is inlined there.
    inline = " NOT MATERIALIZED" if connection.vendor == "postgresql" else ""
    side = (
        f"(SELECT b.bucket, l.pair_id, l.label FROM {buckets} b "
        "JOIN labelled l ON l.pair_id = b.pair_id WHERE l.label {})"
    )
    sql = (
        f"WITH labelled (pair_id, label) AS{inline} ({labelled_sql}) "
        "SELECT DISTINCT a.pair_id, a.label, c.pair_id, c.label FROM "
        + side.format("= %s")
        + " a JOIN "
        + side.format(f"IN ({placeholders})")
        + " c ON c.bucket = a.bucket AND c.pair_id <> a.pair_id ORDER BY a.pair_id, c.pair_id"
    )
    params = [*labelled_params, label, *others]
    found: list[NearDuplicate] = []
    signatures: dict[int, object] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while len(found) < limit and (rows := cursor.fetchmany(CANDIDATE_CHUNK)):
            missing = {pair_id for row in rows for pair_id in (row[0], row[2])} - set(signatures)
            texts = QAPair.objects.filter(pk__in=missing).values_list("pk", "question", "answer", "context")
            texts = list(texts)
            for (pair_id, *_), signature in zip(
                texts, hasher.signatures([record_text(*fields) for _, *fields in texts]), strict=True
            ):
                signatures[pair_id] = signature
            for pair_id, pair_label, other_id, other_label in rows:
                if pair_id not in signatures or other_id not in signatures:
                    continue
                similarity = hasher.similarity(signatures[pair_id], signatures[other_id])
                if similarity >= hasher.threshold:
                    found.append(NearDuplicate(pair_id, pair_label, other_id, other_label, round(similarity, 3)))
                    if len(found) >= limit:
                        break
    return found
