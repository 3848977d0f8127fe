import hashlib
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from qa_app.models import QAPair
from synthgov.bulk import insert_rows, refresh_statistics
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from templates_app.models import TemplateVersion

from .exporters import openai_chat
from .models import Collection, Membership, Release, ReleaseItem, Split
from .splits import assign_split

WEIGHT_MUST_BE_POSITIVE = "Weight must be greater than 0; got {weight}."
NOTHING_TO_RELEASE = "Collection '{slug}' has no approved pairs to release; approve some of its pairs first."
RELEASE_CHUNK = 5000


@dataclass(frozen=True)
class AddResult:
    added: int
    already_members: int


def _exclusion(collection: Collection, *, status: str, is_preview: bool, source: str) -> str | None:
    """Why a pair with these values cannot be released from the collection (a code), or None."""
    if status != QAPair.ReviewStatus.APPROVED:
        return f"not_approved:{status}"
    if is_preview:
        return "preview_job"
    if source not in collection.allowed_sources:
        return "source_not_allowed"
    if (
        source == QAPair.Source.SYNTHETIC
        and collection.purpose == Collection.Purpose.EVALUATION
        and not collection.allow_synthetic_in_evaluation
    ):
        return "synthetic_in_evaluation"
    return None


def _pair_refusal(collection: Collection, pair: QAPair) -> str | None:
    code = _exclusion(collection, status=pair.review_status, is_preview=pair.is_preview, source=pair.source)
    if code is None:
        return None
    explanation = {
        "preview_job": "comes from a preview job and can never be released",
        "source_not_allowed": f"is {pair.source}, which '{collection.slug}' does not allow",
        "synthetic_in_evaluation": f"is synthetic and '{collection.slug}' is an evaluation collection",
    }.get(code, f"is {pair.review_status}, not approved")
    return f"#{pair.pk} {explanation}"


@transaction.atomic
def collection_add_pairs(
    *, collection: Collection, pairs: Iterable[QAPair], split: str = "", weight: float = 1.0, acting_user
) -> AddResult:
    """Add approved pairs with a split (empty: by hash) and a weight; all or nothing."""
    if not acting_user.has_perm("collections_app.add_membership"):
        raise PermissionRefused("Adding pairs to a collection needs the 'add membership' permission.")
    if weight is None or not math.isfinite(weight) or weight <= 0:
        raise InvalidInput(WEIGHT_MUST_BE_POSITIVE.format(weight=weight))
    if split and split not in Split.values:
        raise InvalidInput(f"Split must be one of {', '.join(Split.values)} or empty; got {split!r}.")
    # Decide on the stored state, not on objects the caller may have loaded long ago.
    pairs = list(QAPair.objects.filter(pk__in=[pair.pk for pair in pairs]).order_by("pk"))
    refusals = [refusal for pair in pairs if (refusal := _pair_refusal(collection, pair))]
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
    bulk_create_with_history(new, Membership, batch_size=1000, default_user=acting_user)
    return AddResult(added=len(new), already_members=len(existing))


@transaction.atomic
def collection_remove_pairs(*, collection: Collection, pairs: Iterable[QAPair], acting_user) -> int:
    if not acting_user.has_perm("collections_app.delete_membership"):
        raise PermissionRefused("Removing pairs from a collection needs the 'delete membership' permission.")
    memberships = list(Membership.objects.filter(collection=collection, qa_pair__in=list(pairs)))
    for membership in memberships:
        membership._history_user = acting_user
        membership.delete()
    return len(memberships)


def collection_release(*, collection: Collection, acting_user) -> Release:
    """Snapshot the collection's approved pairs and write one file per split plus a manifest."""
    if not acting_user.has_perm("collections_app.release_collection"):
        raise PermissionRefused("Releasing needs the 'release collection' permission.")
    directory = None
    try:
        with transaction.atomic():
            collection = Collection.objects.select_for_update().get(pk=collection.pk)
            version = (collection.releases.aggregate(latest=Max("version"))["latest"] or 0) + 1
            release = Release.objects.create(
                collection=collection,
                version=version,
                created_by=acting_user,
                storage_path=f"releases/collection-{collection.pk}/v{version}",
            )
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
            release.save()
    except Exception:
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return release


def _snapshot_items(release: Release) -> tuple[Counter, dict]:
    """Freeze the releasable members as ReleaseItems; count the rest by why they were left out.

    Reads plain values, not model instances, and inserts with COPY: a release can hold
    millions of pairs.
    """
    collection = release.collection
    left_out: Counter = Counter()
    sources: Counter = Counter()
    versions: Counter = Counter()
    jobs: set[int] = set()
    members = (
        Membership.objects.filter(collection=collection)
        .order_by("qa_pair_id")
        .values_list(
            "qa_pair_id",
            "split",
            "weight",
            "qa_pair__content_hash",
            "qa_pair__review_status",
            "qa_pair__is_preview",
            "qa_pair__source",
            "qa_pair__template_version_id",
            "qa_pair__job_id",
        )
    )

    def releasable():
        for pair_id, split, weight, content_hash, status, is_preview, source, version_id, job_id in members.iterator(
            chunk_size=RELEASE_CHUNK
        ):
            excluded = _exclusion(collection, status=status, is_preview=is_preview, source=source)
            if excluded:
                left_out[excluded] += 1
                continue
            sources[source] += 1
            if version_id:
                versions[version_id] += 1
            if job_id:
                jobs.add(job_id)
            split = split or assign_split(seed=collection.seed, pair_id=pair_id, ratios=collection.split_ratios)
            yield (release.pk, pair_id, split, weight, content_hash)

    insert_rows(ReleaseItem, ["release_id", "qa_pair_id", "split", "weight", "content_hash"], releasable())
    refresh_statistics(ReleaseItem)
    labels = {
        version.pk: f"{version.template.key} v{version.version} {version.content_sha256[:12]}"
        for version in TemplateVersion.objects.filter(pk__in=versions).select_related("template")
    }
    lineage = {
        "sources": dict(sources),
        "template_versions": {labels[pk]: count for pk, count in versions.items()},
        "jobs": sorted(jobs),
    }
    return left_out, lineage


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
    items = ReleaseItem.objects.filter(release=release).order_by("split", "qa_pair_id")
    for split in Split.values:
        rows = items.filter(split=split).values_list(
            "qa_pair__question", "qa_pair__answer", "qa_pair__context", "qa_pair__metadata"
        )
        if not rows.exists():
            continue
        name = f"{split}.{openai_chat.EXTENSION}"
        digest, count, size = hashlib.sha256(), 0, 0
        with open(directory / name, "wb") as handle:
            for question, answer, context, metadata in rows.iterator(chunk_size=RELEASE_CHUNK):
                line = openai_chat.row(
                    question=question,
                    answer=answer,
                    context=context,
                    system_prompt=(metadata or {}).get("system_prompt", ""),
                )
                handle.write(line)
                digest.update(line)
                count += 1
                size += len(line)
        files.append({"name": name, "split": split, "rows": count, "bytes": size, "sha256": digest.hexdigest()})
    return files


def _file_entry(name: str, split: str | None, rows: int | None, content: bytes) -> dict:
    return {
        "name": name,
        "split": split,
        "rows": rows,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def _manifest(release: Release, files: list[dict], left_out: Counter, lineage: dict) -> dict:
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
