"""Releasing a collection: an immutable snapshot written to files with checksums."""

import hashlib
import json
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Value
from django.utils import timezone

from qa_app.models import QAPair
from synthgov.bulk import refresh_statistics
from synthgov.errors import InvalidInput, TransitionRefused, require_permission
from synthgov.history import record_change

from ..exporters import openai_chat
from ..guards import check_release
from ..models import Collection, Membership, Release, ReleaseItem, Split
from ..splits import split_expression
from .membership import exclusion_expression

RELEASE_PERMISSION = "collections_app.release_collection"
NOTHING_TO_RELEASE = "Collection '{slug}' has no approved pairs to release; approve some of its pairs first."


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
            guard_report = check_release(release)  # guards (issue 12): refuses leaks, else results and warnings
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
            manifest["guards"] = guard_report.as_manifest()  # guards (issue 12)
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
        exclusion=exclusion_expression(collection, pair="qa_pair__", release=True)
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
