"""Receipts a release carries: which software wrote it, the collection's state, file checksums."""

import hashlib
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

from django.conf import settings

from .models import Collection, Membership

PACKAGE = "synthgov"
READ_BLOCK = 1 << 20
STATE_CHUNK = 20_000


def software() -> dict:
    """The package version and, when the code runs from a git checkout, the commit."""
    return {"package": PACKAGE, "version": _package_version(), "commit": _git_commit()}


def _package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        pass
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = completed.stdout.strip()
    return commit if len(commit) == 40 else None


def collection_state_sha256(collection: Collection) -> str:
    """sha256 over the members in pair id order: pair id, split as set ("" when by hash), weight and
    the pair's content hash, one tab-separated line each. Streamed from the database: a collection
    of millions of members never sits in a list."""
    digest = hashlib.sha256()
    members = (
        Membership.objects.filter(collection=collection)
        .order_by("qa_pair_id")
        .values_list("qa_pair_id", "split", "weight", "qa_pair__content_hash")
    )
    for pair_id, split, weight, content_hash in members.iterator(chunk_size=STATE_CHUNK):
        digest.update(f"{pair_id}\t{split}\t{weight!r}\t{content_hash}\n".encode())
    return digest.hexdigest()


def file_sha256(path: Path) -> tuple[str, int]:
    """The file's sha256 and size, read in blocks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
