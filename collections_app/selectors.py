"""Reads about collections and releases that are more than a filter: the collection page's counts,
coverage against targets, and the difference between two releases.

Every figure is one grouped query (or an anti-join) in the database, whatever the size: never a
COUNT per row, never a Python loop over the members or the released items.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from qa_app.models import QAPair

from .models import Collection, Membership, Release, ReleaseItem, Split
from .splits import split_expression

APPROVED = QAPair.ReviewStatus.APPROVED
# The pair's own chapter and subchapter (generated, promoted or imported; see qa_app.models.QAPairQuerySet).
CHAPTER = "qa_pair__chapter_key"
SUBCHAPTER = "qa_pair__subchapter_key"
# Members whose pair has no chapter (operator-typed pairs, imports without one) count under this chapter.
NO_CHAPTER = "(none)"


@dataclass(frozen=True)
class CollectionStats:
    # split -> (members, weight sum); empty splits (assigned by hash) counted under the split they get.
    per_split: dict[str, tuple[int, float]]
    per_source: dict[str, int]
    per_chapter: dict[str, int]
    per_review_status: dict[str, int]

    @property
    def members(self) -> int:
        return sum(self.per_review_status.values())

    @property
    def not_approved(self) -> int:
        """Members whose pair is no longer approved (reopened or edited since): left out of releases."""
        return self.members - self.per_review_status.get(APPROVED, 0)


def _counts(queryset: QuerySet, key: str) -> dict:
    return dict(queryset.values_list(key).annotate(count=Count("pk")).order_by(key))


def collection_stats(collection: Collection) -> CollectionStats:
    """The collection page's figures: four grouped queries."""
    members = Membership.objects.filter(collection=collection).order_by()
    effective_split = split_expression(
        seed=collection.seed, ratios=collection.split_ratios, pair_id_field="qa_pair_id", explicit_split_field="split"
    )
    per_split = {
        split: (count, weight or 0.0)
        for split, count, weight in members.annotate(effective_split=effective_split)
        .values_list("effective_split")
        .annotate(count=Count("pk"), weight=Sum("weight"))
        .order_by("effective_split")
    }
    ordered_splits = {split: per_split[split] for split in Split.values if split in per_split}
    return CollectionStats(
        per_split=ordered_splits,
        per_source=_counts(members, "qa_pair__source"),
        per_chapter={key or NO_CHAPTER: count for key, count in _counts(members, CHAPTER).items()},
        per_review_status=_counts(members, "qa_pair__review_status"),
    )


def members_not_approved(collection: Collection) -> QuerySet:
    """The memberships whose pair is not approved now (the collection page links to them)."""
    return Membership.objects.filter(collection=collection).exclude(qa_pair__review_status=APPROVED)


@dataclass(frozen=True)
class Coverage:
    key: str
    target: int
    approved: int

    @property
    def missing(self) -> int:
        return max(0, self.target - self.approved)

    @property
    def percent(self) -> int:
        return min(100, 100 * self.approved // self.target) if self.target else 100


def coverage_report(collection: Collection) -> list[Coverage]:
    """Approved members against the collection's coverage targets ({"chapter": n} or
    {"chapter/subchapter": n}), in key order: one grouped query over the members, by the pair's
    chapter and subchapter."""
    targets = collection.coverage_targets or {}
    if not targets:
        return []
    approved = (
        Membership.objects.filter(collection=collection, qa_pair__review_status=APPROVED)
        .values_list(CHAPTER, SUBCHAPTER)
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for chapter, subchapter, count in approved:
        if not chapter:
            continue
        counts[chapter] = counts.get(chapter, 0) + count
        if subchapter:
            key = f"{chapter}/{subchapter}"
            counts[key] = counts.get(key, 0) + count
    return [
        Coverage(key=key, target=int(target), approved=counts.get(key, 0)) for key, target in sorted(targets.items())
    ]


def coverage_summary(collection: Collection) -> dict:
    """The coverage report as plain data (the API, the release manifest)."""
    return {
        entry.key: {"target": entry.target, "approved": entry.approved, "missing": entry.missing}
        for entry in coverage_report(collection)
    }


# Release diff ----------------------------------------------------------------------------------

DIFF_CATEGORIES = {
    "added": "Added (in this release, not in the other)",
    "removed": "Removed (in the other release, not in this one)",
    "moved_split": "Moved to another split",
    "changed_weight": "Weight changed",
    "changed_content": "Content changed (content hash differs)",
}
# The columns compared for the pairs in both releases.
_CHANGED = {"moved_split": "split", "changed_weight": "weight", "changed_content": "content_hash"}


@dataclass(frozen=True)
class ReleaseDiff:
    release: Release
    against: Release
    counts: dict[str, int] = field(default_factory=dict)


def previous_release(release: Release) -> Release | None:
    return Release.objects.filter(collection_id=release.collection_id, version__lt=release.version).first()


def _only_in(release: Release, other: Release) -> QuerySet:
    """Items of `release` whose pair `other` does not hold: an anti-join on the (release, pair) index."""
    in_other = ReleaseItem.objects.filter(release=other, qa_pair_id=OuterRef("qa_pair_id"))
    return ReleaseItem.objects.filter(release=release).filter(~Exists(in_other))


def _both_sql(release: Release, against: Release, *, select: str, where: str = "") -> tuple[str, list]:
    """The pairs both releases hold, joined item to item on the pair (the (release, pair) index)."""
    table = connection.ops.quote_name(ReleaseItem._meta.db_table)
    sql = (
        f"SELECT {select} FROM {table} new JOIN {table} old ON old.qa_pair_id = new.qa_pair_id "
        f"WHERE new.release_id = %s AND old.release_id = %s{where}"
    )
    return sql, [release.pk, against.pk]


def release_diff(release: Release, against: Release) -> ReleaseDiff:
    """What changed from `against` to `release` (two releases of one collection), counted: two
    anti-joins and one join, each answered by the (release, pair) unique index."""
    select = ", ".join(f"SUM(CASE WHEN new.{column} <> old.{column} THEN 1 ELSE 0 END)" for column in _CHANGED.values())
    sql, params = _both_sql(release, against, select=select)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed = [value or 0 for value in cursor.fetchone()]
    counts = {
        "added": _only_in(release, against).count(),
        "removed": _only_in(against, release).count(),
        **dict(zip(_CHANGED, changed, strict=True)),
    }
    return ReleaseDiff(release=release, against=against, counts=counts)


def release_diff_pair_ids(release: Release, against: Release, category: str, *, offset: int = 0, limit: int = 50):
    """Pair ids of one diff category, ascending, one page of them."""
    if category == "added":
        items = _only_in(release, against)
    elif category == "removed":
        items = _only_in(against, release)
    else:
        column = _CHANGED[category]
        sql, params = _both_sql(
            release,
            against,
            select="new.qa_pair_id",
            where=f" AND new.{column} <> old.{column} ORDER BY new.qa_pair_id LIMIT %s OFFSET %s",
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            return [row[0] for row in cursor.fetchall()]
    return list(items.order_by("qa_pair_id").values_list("qa_pair_id", flat=True)[offset : offset + limit])
