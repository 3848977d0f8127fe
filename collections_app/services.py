import hashlib
import json
import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Max, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from qa_app.models import QAPair
from synthgov.bulk import refresh_statistics
from synthgov.errors import InvalidInput, TransitionRefused, require_permission
from synthgov.history import clean_reason, delete_with_history, record_change

from .exporters import openai_chat
from .models import Collection, Membership, Release, ReleaseItem, Split
from .splits import split_expression

WEIGHT_MUST_BE_POSITIVE = "Weight must be greater than 0; got {weight}."
ADD_MEMBERSHIP_PERMISSION = "collections_app.add_membership"
REMOVE_MEMBERSHIP_PERMISSION = "collections_app.delete_membership"
RELEASE_PERMISSION = "collections_app.release_collection"
WALL_LIFT_NEEDS_REASON = (
    "Letting synthetic pairs into an evaluation collection needs a reason (why evaluating on synthetic "
    "data is sound here); it is kept in the collection's history."
)
NOTHING_TO_RELEASE = "Collection '{slug}' has no approved pairs to release; approve some of its pairs first."


@dataclass(frozen=True)
class AddResult:
    added: int
    already_members: int


def exclusion_expression(collection: Collection, *, pair: str = ""):
    """Why a pair cannot be released from the collection, as a code ('' when it can).

    One expression serves both the refusal when adding pairs and the release's left-out counts.
    `pair` is the path to the QA pair from the queried model ("" for QAPair, "qa_pair__" ...).
    """
    never = Q(pk__isnull=True)
    conditions = [
        (~Q(**{f"{pair}review_status": QAPair.ReviewStatus.APPROVED}), None),
        (Q(**{f"{pair}is_preview": True}), "preview_job"),
        (
            ~Q(**{f"{pair}source__in": collection.allowed_sources}) if collection.allowed_sources else ~never,
            "source_not_allowed",
        ),
    ]
    if collection.purpose == Collection.Purpose.EVALUATION and not collection.allow_synthetic_in_evaluation:
        conditions.append((Q(**{f"{pair}source": QAPair.Source.SYNTHETIC}), "synthetic_in_evaluation"))
    not_approved = Concat(Value("not_approved:"), F(f"{pair}review_status"))
    return Case(
        *[When(condition, then=Value(code) if code else not_approved) for condition, code in conditions],
        default=Value(""),
        output_field=CharField(),
    )


def _refusals(collection: Collection, pair_ids: list[int]) -> list[str]:
    explanations = {
        "preview_job": "comes from a preview job and can never be released",
        "source_not_allowed": "is {source}, which '{slug}' does not allow",
        "synthetic_in_evaluation": "is synthetic and '{slug}' is an evaluation collection",
    }
    refused = (
        QAPair.objects.filter(pk__in=pair_ids)
        .annotate(exclusion=exclusion_expression(collection))
        .exclude(exclusion="")
        .order_by("pk")
        .values_list("pk", "exclusion", "review_status", "source")
    )
    return [
        f"#{pk} "
        + explanations.get(code, "is {status}, not approved").format(source=source, slug=collection.slug, status=status)
        for pk, code, status, source in refused
    ]


def _lifts_synthetic_wall(collection: Collection) -> bool:
    """Whether this save lets synthetic pairs into an evaluation collection that did not let them in."""
    if collection.purpose != Collection.Purpose.EVALUATION or not collection.allow_synthetic_in_evaluation:
        return False
    stored = Collection.objects.filter(pk=collection.pk).values("purpose", "allow_synthetic_in_evaluation").first()
    return not (
        stored and stored["purpose"] == Collection.Purpose.EVALUATION and stored["allow_synthetic_in_evaluation"]
    )


def collection_save_reason(*, collection: Collection, reason: str) -> str:
    """The reason cleaned for saving `collection` as it is now (unsaved changes included); InvalidInput
    (field "reason") when it is too long, or missing while the save lifts the synthetic wall.
    Forms call it to show the problem on the field before saving."""
    return clean_reason(reason, required_message=WALL_LIFT_NEEDS_REASON if _lifts_synthetic_wall(collection) else "")


@transaction.atomic
def collection_save(*, collection: Collection, acting_user, reason: str = "") -> Collection:
    """Create or change a collection's settings; the creator is recorded once.

    Lifting the synthetic wall (letting synthetic pairs into an evaluation collection) needs a
    `reason`; any reason given is kept in the collection's history.
    """
    needed = "add_collection" if collection.pk is None else "change_collection"
    require_permission(acting_user, f"collections_app.{needed}", doing="Saving collections")
    lifts_wall = _lifts_synthetic_wall(collection)
    reason = collection_save_reason(collection=collection, reason=reason)
    created = collection.pk is None
    if created:
        collection.created_by = acting_user
    collection.full_clean()
    action = "created" if created else "changed"
    record_change(
        collection, user=acting_user, action=f"{action}, synthetic wall lifted" if lifts_wall else action, reason=reason
    )
    collection.save()
    return collection


@transaction.atomic
def collection_add_pairs(
    *, collection: Collection, pairs: Iterable[QAPair], split: str = "", weight: float = 1.0, acting_user
) -> AddResult:
    """Add approved pairs with a split (empty: by hash) and a weight; all or nothing."""
    require_permission(acting_user, ADD_MEMBERSHIP_PERMISSION, doing="Adding pairs to a collection")
    if weight is None or not math.isfinite(weight) or weight <= 0:
        raise InvalidInput(WEIGHT_MUST_BE_POSITIVE.format(weight=weight))
    if split and split not in Split.values:
        raise InvalidInput(f"Split must be one of {', '.join(Split.values)} or empty; got {split!r}.")
    # Concurrent adds to one collection take turns: each sees what the one before it added, so
    # overlapping requests report those pairs as already members instead of colliding on the
    # unique membership (IntegrityError). Releases take the same lock.
    Collection.objects.select_for_update().filter(pk=collection.pk).exists()
    # Decide on the stored state, not on objects the caller may have loaded long ago.
    pairs = list(QAPair.objects.filter(pk__in=[pair.pk for pair in pairs]).order_by("pk"))
    refusals = _refusals(collection, [pair.pk for pair in pairs])
    if refusals:
        shown = "; ".join(refusals[:5]) + (f"; and {len(refusals) - 5} more" if len(refusals) > 5 else "")
        raise InvalidInput(f"Nothing was added: {shown}.")
    existing = set(
        Membership.objects.filter(collection=collection, qa_pair__in=pairs).values_list("qa_pair_id", flat=True)
    )
    new = [
        Membership(collection=collection, qa_pair=pair, split=split, weight=weight, added_by=acting_user)
        for pair in pairs
        if pair.pk not in existing
    ]
    bulk_create_with_history(new, Membership, batch_size=1000, default_user=acting_user, default_change_reason="added")
    return AddResult(added=len(new), already_members=len(existing))


@transaction.atomic
def collection_remove_pairs(*, collection: Collection, pairs: Iterable[QAPair], acting_user) -> int:
    require_permission(acting_user, REMOVE_MEMBERSHIP_PERMISSION, doing="Removing pairs from a collection")
    ids = list(Membership.objects.filter(collection=collection, qa_pair__in=list(pairs)).values_list("pk", flat=True))
    # Nothing refers to a membership, so one DELETE per chunk, with a history row each saying who removed it.
    return delete_with_history(Membership, ids, user=acting_user, at=timezone.now(), reason="removed")


def collection_release(*, collection: Collection, acting_user) -> Release:
    """Snapshot the collection's approved pairs and write one file per split plus a manifest."""
    require_permission(acting_user, RELEASE_PERMISSION, doing="Releasing a collection")
    directory = None
    try:
        with transaction.atomic():
            collection = Collection.objects.select_for_update().get(pk=collection.pk)
            version = (collection.releases.aggregate(latest=Max("version"))["latest"] or 0) + 1
            release = Release(
                collection=collection,
                version=version,
                created_by=acting_user,
                storage_path=f"releases/collection-{collection.pk}/v{version}",
            )
            record_change(release, user=acting_user, action="building")
            release.save()
            left_out, lineage = _snapshot_items(release)
            if not release.items.exists():
                raise TransitionRefused(NOTHING_TO_RELEASE.format(slug=collection.slug))
            _refuse_train_test_overlap(release)
            target = Path(settings.MEDIA_ROOT) / release.storage_path
            if target.exists():
                raise TransitionRefused(
                    f"Storage already holds files at {release.storage_path}; they are left untouched. "
                    "Move them away and release again."
                )
            target.mkdir(parents=True)
            directory = target
            files = _write_split_files(release, directory)
            manifest = _manifest(release, files, left_out, lineage)
            manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
            (directory / "manifest.json").write_bytes(manifest_bytes)
            files.append(_file_entry("manifest.json", None, None, manifest_bytes))
            release.publish(at=timezone.now(), manifest=manifest, files=files)
            record_change(release, user=acting_user, action="published")
            release.save()
    except Exception:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return release


def _snapshot_items(release: Release) -> tuple[dict, dict]:
    """Freeze the releasable members as ReleaseItems; count the rest by why they were left out.

    One INSERT ... SELECT: a release can hold millions of pairs, and none of them needs Python.
    """
    collection = release.collection
    members = Membership.objects.filter(collection=collection).annotate(
        exclusion=exclusion_expression(collection, pair="qa_pair__")
    )
    left_out = dict(members.exclude(exclusion="").values_list("exclusion").annotate(count=Count("pk")).order_by())
    releasable = (
        members.filter(exclusion="")
        .annotate(
            item_release=Value(release.pk),
            item_pair=F("qa_pair_id"),
            item_split=split_expression(
                seed=collection.seed,
                ratios=collection.split_ratios,
                pair_id_field="qa_pair_id",
                explicit_split_field="split",
            ),
            item_weight=F("weight"),
            item_hash=F("qa_pair__content_hash"),
        )
        .values_list("item_release", "item_pair", "item_split", "item_weight", "item_hash")
        .order_by()
    )
    select_sql, params = releasable.query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ReleaseItem._meta.db_table)} (release_id, qa_pair_id, split, weight, content_hash) "
            + select_sql,
            params,
        )
    refresh_statistics(ReleaseItem)
    return left_out, _lineage_summary(release)


def _lineage_summary(release: Release) -> dict:
    pairs = QAPair.objects.filter(release_items__release=release).order_by()
    versions = pairs.exclude(template_version=None).values_list(
        "template_version__template__key", "template_version__version", "template_version__content_sha256"
    )
    return {
        "sources": dict(pairs.values_list("source").annotate(count=Count("pk"))),
        "template_versions": {
            f"{key} v{number} {content_hash[:12]}": count
            for key, number, content_hash, count in versions.annotate(count=Count("pk"))
        },
        "jobs": sorted(pairs.exclude(job=None).values_list("job_id", flat=True).distinct()),
    }


def _refuse_train_test_overlap(release: Release) -> None:
    test_hashes = ReleaseItem.objects.filter(release=release, split=Split.TEST).values("content_hash")
    overlap = list(
        ReleaseItem.objects.filter(release=release, split=Split.TRAIN, content_hash__in=test_hashes).values_list(
            "qa_pair_id", flat=True
        )[:5]
    )
    if overlap:
        raise TransitionRefused(
            "The same content would be in both train and test (train pairs "
            f"{', '.join(f'#{pk}' for pk in overlap)}); move or remove the duplicates and release again."
        )


def _write_split_files(release: Release, directory: Path) -> list[dict]:
    files = []
    used_splits = set(ReleaseItem.objects.filter(release=release).order_by().values_list("split", flat=True).distinct())
    for split in (split for split in Split.values if split in used_splits):
        name = f"{split}.{openai_chat.EXTENSION}"
        digest, rows, size = hashlib.sha256(), 0, 0
        with open(directory / name, "wb") as handle:
            for chunk in openai_chat.lines(release, split):
                handle.write(chunk)
                digest.update(chunk)
                rows += chunk.count(b"\n")
                size += len(chunk)
        files.append({"name": name, "split": split, "rows": rows, "bytes": size, "sha256": digest.hexdigest()})
    return files


def _file_entry(name: str, split: str | None, rows: int | None, content: bytes) -> dict:
    return {
        "name": name,
        "split": split,
        "rows": rows,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def _manifest(release: Release, files: list[dict], left_out: dict, lineage: dict) -> dict:
    return {
        "collection": release.collection.slug,
        "release": release.version,
        "format": openai_chat.FORMAT,
        "created_at": timezone.now().isoformat(),
        "files": list(files),
        "rows": sum(entry["rows"] for entry in files),
        "left_out": dict(sorted(left_out.items())),
        "lineage": lineage,
    }


def release_file_path(release: Release, name: str) -> Path:
    """Path of one of the release's files; refuses names the release did not write."""
    if name not in {entry["name"] for entry in release.files}:
        raise InvalidInput(f"Release {release} has no file named {name!r}.")
    return Path(settings.MEDIA_ROOT) / release.storage_path / name
