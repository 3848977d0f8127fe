"""The guards of a collection's pairs: which job surfaces fit a purpose, and the checks a release
must pass before anything is written (`check_release`).

Add-time rules (approved, preview, source, synthetic wall, tenant, target surface) and the
release-time PII leave-out are one expression, `services.membership.exclusion_expression`; this
module holds what that expression needs to know (`SURFACES_FOR_PURPOSE`) and the guards that look
at a release as a whole:

- the leak guard: the same content (exact content hash, or a near-duplicate at or above the
  MinHash threshold, found through qa_app's bucket index) in train and test, or in train and
  validation, refuses the release, naming the pairs;
- a warning when a test pair of the release is in the train split of another collection's latest
  release (same content hash);
- what the manifest states about the collection's settings: PII allowed or not, the synthetic
  wall and who lifted it (from the collection's history), the tenant.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import OuterRef, Q, Subquery

from jobs_app.models import TargetSurface
from qa_app.selectors import near_duplicates_between
from synthgov.errors import TransitionRefused
from synthgov.history import pk_filter

from .models import Collection, Release, ReleaseItem, Split

# Where a job's pairs may go, by the purpose of the collection. A training collection takes pairs
# generated for training only; an evaluation collection takes those and QA fixtures (made to test
# against). Analytics-sandbox and demo-bundle pairs go into no collection. Pairs without a job
# (operator, imported) fit every purpose.
SURFACES_FOR_PURPOSE = {
    Collection.Purpose.TRAINING: (TargetSurface.TRAINING,),
    Collection.Purpose.EVALUATION: (TargetSurface.TRAINING, TargetSurface.QA_FIXTURES),
}

# Leaks looked for (and listed) at most, per release: enough to act on, bounded for a bad release.
LEAKS_LISTED = 100
LEAKS_SHOWN = 20
WARNINGS_LISTED = 100

LEAK_REFUSED = (
    "Release refused by the leak guard: the same content would be in two splits ({pairs}). "
    "Move one pair of each to the other's split (or remove it from the collection) and release again."
)
TEST_IN_OTHER_TRAIN = (
    "{count} test pair(s) of this release are in the train split of {release} (collection '{slug}', "
    "its latest release): {pairs}. Models trained on that release have seen them."
)
# The leak guard's two checks, by the split compared with train.
LEAK_CHECKS = {Split.TEST: "leak_train_test", Split.VALIDATION: "leak_train_validation"}


def surfaces_refused(purpose: str) -> list[str]:
    """The target surfaces whose pairs a collection of this purpose refuses."""
    fits = SURFACES_FOR_PURPOSE.get(purpose, ())
    return [surface for surface in TargetSurface.values if surface not in fits]


@dataclass(frozen=True)
class Leak:
    train_pair: int
    other_pair: int
    other_split: str
    similarity: float | None  # None: the exact same content hash

    def __str__(self) -> str:
        how = "same content" if self.similarity is None else f"near-duplicate, similarity {self.similarity:.2f}"
        return f"train #{self.train_pair} and {self.other_split} #{self.other_pair}: {how}"


@dataclass
class GuardReport:
    """What the guards found for a release that passed them: per-check results and warnings."""

    results: dict[str, str] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def as_manifest(self) -> dict:
        return {"results": dict(sorted(self.results.items())), "warnings": list(self.warnings), **self.settings}


def check_release(release: Release) -> GuardReport:
    """Run the guards on a release's snapshot (its ReleaseItems, written in the same transaction).

    Raises TransitionRefused, listing the pairs, when content leaks between train and test or
    validation; returns the results and warnings for the manifest otherwise.
    """
    leaks = _leaks(release)
    if leaks:
        shown = "; ".join(str(leak) for leak in leaks[:LEAKS_SHOWN])
        more = len(leaks) - LEAKS_SHOWN
        if more > 0:
            shown += f"; and {more}{'+' if len(leaks) >= LEAKS_LISTED else ''} more"
        raise TransitionRefused(LEAK_REFUSED.format(pairs=shown))
    collection = release.collection
    report = GuardReport(results=dict.fromkeys(LEAK_CHECKS.values(), "pass"))
    report.warnings = _test_pairs_in_other_train_splits(release)
    report.results["test_in_other_releases_train"] = "warning" if report.warnings else "pass"
    report.results["pii"] = "allowed" if collection.allow_pii else "left out"
    report.settings = {
        "allow_pii": collection.allow_pii,
        "synthetic_wall": synthetic_wall(collection),
        "tenant": {"tenant_id": collection.tenant_id, "cross_tenant": collection.cross_tenant},
        "target_surfaces": list(SURFACES_FOR_PURPOSE.get(collection.purpose, ())),
    }
    return report


def _leaks(release: Release) -> list[Leak]:
    """Exact leaks first (content hash, in the database), then near-duplicates (qa_app's bucket index)."""
    others = list(LEAK_CHECKS)
    leaks = _exact_leaks(release, others)
    seen = {(leak.train_pair, leak.other_pair) for leak in leaks}
    if len(leaks) < LEAKS_LISTED:
        labelled = ReleaseItem.objects.filter(release=release).values_list("qa_pair_id", "split")
        for near in near_duplicates_between(labelled, label=Split.TRAIN, others=others, limit=LEAKS_LISTED):
            if (near.pair_id, near.other_id) not in seen and len(leaks) < LEAKS_LISTED:
                leaks.append(Leak(near.pair_id, near.other_id, near.other_label, near.similarity))
    return leaks


def _exact_leaks(release: Release, others: list[str]) -> list[Leak]:
    table = connection.ops.quote_name(ReleaseItem._meta.db_table)
    splits = ", ".join(["%s"] * len(others))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.qa_pair_id, o.qa_pair_id, o.split FROM {table} t JOIN {table} o "
            "ON o.release_id = t.release_id AND o.content_hash = t.content_hash "
            f"WHERE t.release_id = %s AND t.split = %s AND o.split IN ({splits}) "
            "ORDER BY t.qa_pair_id, o.qa_pair_id LIMIT %s",
            [release.pk, Split.TRAIN, *others, LEAKS_LISTED],
        )
        return [Leak(train, other, split, None) for train, other, split in cursor.fetchall()]


def _test_pairs_in_other_train_splits(release: Release) -> list[dict]:
    """One warning per other collection (of the same tenant, or cross-tenant) whose latest published
    release has, in its train split, the content of a test pair of this release."""
    latest = Release.objects.filter(
        status=Release.Status.PUBLISHED,
        version=Subquery(
            Release.objects.filter(collection=OuterRef("collection"), status=Release.Status.PUBLISHED)
            .order_by("-version")
            .values("version")[:1]
        ),
    ).exclude(collection=release.collection_id)
    collection = release.collection
    if not collection.cross_tenant:
        # Another tenant's collections are not this tenant's to see, nor its to be warned about.
        latest = latest.filter(Q(collection__tenant_id=collection.tenant_id) | Q(collection__cross_tenant=True))
    names = {pk: (str(other), slug) for pk, other, slug in _release_names(latest)}
    if not names:
        return []
    table = connection.ops.quote_name(ReleaseItem._meta.db_table)
    in_latest, params = pk_filter("o.release_id", list(names))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.release_id, t.qa_pair_id, o.qa_pair_id FROM {table} t JOIN {table} o "
            "ON o.content_hash = t.content_hash "
            f"WHERE t.release_id = %s AND t.split = %s AND o.split = %s AND {in_latest} "
            "ORDER BY o.release_id, t.qa_pair_id, o.qa_pair_id LIMIT %s",
            [release.pk, Split.TEST, Split.TRAIN, *params, WARNINGS_LISTED],
        )
        rows = cursor.fetchall()
    by_release: dict[int, list[dict]] = {}
    for other_release, test_pair, train_pair in rows:
        by_release.setdefault(other_release, []).append({"test_pair": test_pair, "train_pair": train_pair})
    warnings = []
    for other_release, pairs in by_release.items():
        name, slug = names[other_release]
        listed = ", ".join(f"test #{entry['test_pair']} = train #{entry['train_pair']}" for entry in pairs[:10])
        warnings.append(
            {
                "guard": "test_in_other_releases_train",
                "collection": slug,
                "release": name,
                "pairs": pairs,
                "message": TEST_IN_OTHER_TRAIN.format(count=len(pairs), release=name, slug=slug, pairs=listed),
            }
        )
    return warnings


def _release_names(releases) -> list[tuple[int, str, str]]:
    rows = releases.values_list("pk", "collection__slug", "version")
    return [(pk, f"{slug} v{version}", slug) for pk, slug, version in rows]


def synthetic_wall(collection: Collection) -> dict | None:
    """The synthetic wall of an evaluation collection as the manifest states it: standing, or lifted
    by whom, when and why (the history row where it was last lifted). None for training collections."""
    if collection.purpose != Collection.Purpose.EVALUATION:
        return None
    if not collection.allow_synthetic_in_evaluation:
        return {"lifted": False}
    rows = collection.history.order_by("history_date", "history_id").values_list(
        "purpose", "allow_synthetic_in_evaluation", "history_user__username", "history_date", "history_change_reason"
    )
    lifting, was_lifted = None, False
    for purpose, allowed, user, at, why in rows:
        lifted = purpose == Collection.Purpose.EVALUATION and allowed
        if lifted and not was_lifted:
            lifting = {"lifted": True, "by": user, "at": at.isoformat(), "reason": _reason_of(why)}
        was_lifted = lifted
    return lifting or {"lifted": True, "by": None, "at": None, "reason": ""}


def _reason_of(change_reason: str | None) -> str:
    """The person's reason in a history row's change reason ("changed, synthetic wall lifted: <why>")."""
    _, _, reason = (change_reason or "").partition(": ")
    return reason
