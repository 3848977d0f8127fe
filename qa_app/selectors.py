from django.db.models import QuerySet

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
