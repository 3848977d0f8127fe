from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import QAPair, ReviewDecision


def qa_pair_count(*, chapter=None, subchapter=None) -> int:
    """Pairs generated from the taxonomy node's templates: one aggregate, for a detail page."""
    pairs = QAPair.objects.all()
    if chapter is not None:
        pairs = pairs.filter(template_version__template__chapter=chapter)
    if subchapter is not None:
        pairs = pairs.filter(template_version__template__subchapter=subchapter)
    return pairs.count()


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
    # (username, decisions, approvals, rejections) in the last `days` days, most decisions first.
    per_reviewer: list[tuple[str, int, int, int]]
    # (template version id, label, approved, rejected, approval %, mostly rejected) per version with decided pairs.
    per_version: list[tuple[int, str, int, int, float, bool]]
    days: int


def review_dashboard(*, days: int = 7, now=None) -> ReviewDashboard:
    """The admin index's review figures, three aggregate queries whatever the table size."""
    by_status = dict(QAPair.objects.order_by().values_list("review_status").annotate(count=Count("pk")))
    since = (now or timezone.now()) - timedelta(days=days)
    per_reviewer = [
        (row["reviewer__username"], row["total"], row["approvals"], row["rejections"])
        for row in ReviewDecision.objects.filter(decided_at__gte=since)
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
        QAPair.objects.filter(
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
    return ReviewDashboard(by_status=by_status, per_reviewer=per_reviewer, per_version=per_version, days=days)
