"""Releasing a collection: an immutable snapshot written to files with checksums."""

import hashlib
import json
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Value
from django.utils import timezone

from qa_app.models import QAPair
from synthgov.bulk import refresh_statistics
from synthgov.errors import InvalidInput, TransitionRefused, require_permission
from synthgov.history import record_change

from .. import receipts, release_stats
from ..card import render_card
from ..exporters import EXPORTERS, clean_formats
from ..guards import check_release
from ..models import Collection, Membership, Release, ReleaseItem, Split
from ..selectors import coverage_summary
from ..splits import split_expression
from ..webhook_events import announce_published
from .collections import collection_require_access
from .membership import exclusion_expression

RELEASE_PERMISSION = "collections_app.release_collection"
NOTHING_TO_RELEASE = "Collection '{slug}' has no approved pairs to release; approve some of its pairs first."
EXPORT_DIRECTORY_NOT_EMPTY = "{directory} already holds files; choose an empty directory (or --force to overwrite)."
RELEASE_UNKNOWN = "No release {label!r}; name it as <collection-slug>:v<N> (e.g. maths:v3) or by its id."
CARD_NAME = "README.md"
MANIFEST_NAME = "manifest.json"


def collection_release(*, collection: Collection, acting_user, formats: list[str] | None = None) -> Release:
    """Snapshot the collection's approved pairs and write, per format, one file per split; then the
    dataset card (README.md) and the manifest. `formats` defaults to the collection's default_formats.

    The release guards (collections_app/guards.py) run on the snapshot: a leak between splits
    refuses the release before anything is written; their results and warnings go into the
    manifest and the card.
    """
    require_permission(acting_user, RELEASE_PERMISSION, doing="Releasing a collection")
    collection_require_access(collection=collection, acting_user=acting_user)
    formats = clean_formats(list(formats) if formats is not None else collection.default_formats)
    started = time.monotonic()
    directory = None
    try:
        with transaction.atomic():
            collection = Collection.objects.select_for_update().get(pk=collection.pk)
            version = (collection.releases.aggregate(latest=Max("version"))["latest"] or 0) + 1
            release = Release(
                collection=collection,
                version=version,
                created_by=acting_user,
                formats=formats,
                storage_path=f"releases/collection-{collection.pk}/v{version}",
            )
            record_change(release, user=acting_user, action="building")
            release.save()
            left_out, lineage = _snapshot_items(release)
            if not release.items.exists():
                raise TransitionRefused(NOTHING_TO_RELEASE.format(slug=collection.slug))
            guard_report = check_release(release)
            target = Path(settings.MEDIA_ROOT) / release.storage_path
            if target.exists():
                raise TransitionRefused(
                    f"Storage already holds files at {release.storage_path}; they are left untouched. "
                    "Move them away and release again."
                )
            target.mkdir(parents=True)
            directory = target
            files = write_release_files(release, formats, directory)
            manifest = release_manifest(
                release, files=files, left_out=left_out, lineage=lineage, guards=guard_report.as_manifest()
            )
            card = render_card(manifest).encode()
            (directory / CARD_NAME).write_bytes(card)
            manifest["files"].append(_file_entry(CARD_NAME, None, None, card))
            # Time, author and duration live here only: every other file is the same on re-export.
            manifest["created_at"] = timezone.now().isoformat()
            manifest["author"] = acting_user.get_username()
            manifest["duration_seconds"] = round(time.monotonic() - started, 3)
            manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
            (directory / MANIFEST_NAME).write_bytes(manifest_bytes)
            files = [*manifest["files"], _file_entry(MANIFEST_NAME, None, None, manifest_bytes)]
            release.publish(at=timezone.now(), manifest=manifest, files=files)
            record_change(release, user=acting_user, action="published")
            release.save()
            announce_published(release)
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


def _used_splits(release: Release) -> list[str]:
    used = set(ReleaseItem.objects.filter(release=release).order_by().values_list("split", flat=True).distinct())
    return [split for split in Split.values if split in used]


def write_release_files(release: Release, formats: list[str], directory: Path, progress=None) -> list[dict]:
    """Write `<format>/<split>.<extension>` for each format and split of the release's items; return
    one entry per file: name, format, split, rows, bytes and sha256."""
    files = []
    splits = _used_splits(release)
    for key in formats:
        exporter = EXPORTERS[key]
        for split in splits:
            name = exporter.file_name(split)
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = exporter.write(release, split, path, progress)
            digest, size = receipts.file_sha256(path)
            files.append({"name": name, "format": key, "split": split, "rows": rows, "bytes": size, "sha256": digest})
    return files


def _file_entry(name: str, split: str | None, rows: int | None, content: bytes) -> dict:
    return {
        "name": name,
        "format": None,
        "split": split,
        "rows": rows,
        "bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def release_manifest(release: Release, *, files: list[dict], left_out: dict, lineage: dict, guards: dict) -> dict:
    """Everything the release records except its time, author and duration (added by the caller)."""
    collection = release.collection
    splits = release_stats.split_counts(release)
    released = sum(splits.values())
    left_out = dict(sorted(left_out.items()))
    return {
        "collection": collection.slug,
        "collection_name": collection.name,
        "purpose": collection.purpose,
        "description": collection.description,
        "release": release.version,
        "format": release.formats[0],
        "formats": list(release.formats),
        "files": list(files),
        "rows": released,
        "splits": splits,
        "records": {"in": released + sum(left_out.values()), "out": released, "left_out": left_out},
        "left_out": left_out,
        "chapters": release_stats.chapter_counts(release),
        "template_versions": release_stats.template_versions(release),
        "quality_scores": release_stats.quality_distribution(release),
        "lineage": lineage,
        "software": receipts.software(),
        "state_sha256": receipts.collection_state_sha256(collection),
        # Results of the release guards (collections_app/guards.py): pass, warnings, allowances.
        "guards": guards,
        # Approved members against the collection's coverage targets (collections_app.selectors).
        "coverage": coverage_summary(collection),
    }


def release_export(*, release: Release, format: str, directory: Path, force: bool = False, progress=None) -> list[dict]:
    """Write the release in `format` (any registered format, released in it or not) to `directory`:
    `<format>/<split>.<extension>` and a dataset card README.md for that format.

    Reads the release's frozen items, never the collection's current members, so exporting the same
    release again gives the same bytes. Refuses a directory that holds files unless `force`.
    Reading a release needs no permission here: it is what a download gives (commands run trusted).
    """
    if release.status != Release.Status.PUBLISHED:
        raise TransitionRefused(f"Release {release} is {release.status}; only published releases are exported.")
    [key] = clean_formats([format], field="format")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} is a file, not a directory.", field="to")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise InvalidInput(EXPORT_DIRECTORY_NOT_EMPTY.format(directory=directory), field="to")
    directory.mkdir(parents=True, exist_ok=True)
    files = write_release_files(release, [key], directory, progress)
    card = render_card(release.manifest, files).encode()
    (directory / CARD_NAME).write_bytes(card)
    return [*files, _file_entry(CARD_NAME, None, None, card)]


def release_by_label(label: str) -> Release:
    """A release named `<collection-slug>:v<N>` (or `<slug>:<N>`), or by its id."""
    slug, _, version = label.partition(":")
    try:
        if version:
            return Release.objects.select_related("collection").get(
                collection__slug=slug, version=int(version.removeprefix("v"))
            )
        return Release.objects.select_related("collection").get(pk=int(label))
    except (ValueError, Release.DoesNotExist) as exc:
        raise InvalidInput(RELEASE_UNKNOWN.format(label=label), field="release") from exc


def release_file_path(release: Release, name: str) -> Path:
    """Path of one of the release's files; refuses names the release did not write."""
    parts = Path(name).parts
    if name not in {entry["name"] for entry in release.files} or Path(name).is_absolute() or ".." in parts:
        raise InvalidInput(f"Release {release} has no file named {name!r}.")
    return Path(settings.MEDIA_ROOT) / release.storage_path / name


def release_download_name(name: str) -> str:
    """The name a file of a release downloads under: its path with "/" as "-" (openai_chat-train.jsonl)."""
    return name.replace("/", "-")
