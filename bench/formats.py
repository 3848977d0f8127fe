"""Release formats at scale: JSONL and Parquet export of a release against PostgreSQL's own
`COPY (SELECT row_to_json(...)) TO STDOUT` of the same rows, each export's peak RSS (measured in a
child process of its own), and `datasets.load_dataset` of the Parquet export.

    python -m bench.formats export <release id> <format> <directory>   (the child; prints JSON)
    python -m bench.formats load <directory> <cache directory>         (the child; prints JSON)
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .child import report, run_child
from .results import Result

EXPORT_FORMATS = ["openai_chat", "openai_chat_gz", "parquet"]
TARGETS = {"openai_chat": 0.5, "parquet": 0.5}

# The JSON lines PostgreSQL itself can produce for the rows a release file holds.
ROW_TO_JSON = """
COPY (
  SELECT row_to_json(r) FROM (
    SELECT i.qa_pair_id AS pair_id, p.question, p.answer, p.context,
           p.metadata->>'system_prompt' AS system_prompt, i.weight
    FROM collections_app_releaseitem i JOIN qa_app_qapair p ON p.id = i.qa_pair_id
    WHERE i.release_id = %s ORDER BY i.split, i.qa_pair_id
  ) r
) TO STDOUT
"""


def _row_to_json_rate(release_id: int) -> tuple[float, int]:
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        started = time.perf_counter()
        with raw.copy(ROW_TO_JSON, [release_id]) as copy:
            for chunk in copy:
                rows += bytes(chunk).count(b"\n")
        elapsed = time.perf_counter() - started
    return rows / elapsed, rows


def _child(*arguments: str) -> tuple[dict, float]:
    return run_child("bench.formats", *arguments)


def formats(n: int, repeat: int) -> list[Result]:
    from collections_app.models import Collection
    from collections_app.services import collection_release

    from .fixture import EXPORT_COLLECTION, bench_user
    from .scenarios import _delete_release, median

    collection = Collection.objects.get(slug=EXPORT_COLLECTION)
    release = collection_release(collection=collection, acting_user=bench_user(), formats=["openai_chat"])
    rows = release.manifest["rows"]
    results = []
    try:
        references = []
        measured: dict[str, list] = {key: [] for key in EXPORT_FORMATS}
        with tempfile.TemporaryDirectory(prefix="synthgov-bench-formats-") as scratch:
            for attempt in range(repeat):
                references.append(_row_to_json_rate(release.pk)[0])
                for key in EXPORT_FORMATS:
                    directory = Path(scratch) / f"{key}-{attempt}"
                    report, peak_mb = _child("export", str(release.pk), key, str(directory))
                    measured[key].append((report["rows"] / report["seconds"], peak_mb, report["bytes"]))
                    if not (key == "parquet" and attempt == 0):
                        shutil.rmtree(directory)
            loads = [
                _child("load", str(Path(scratch) / "parquet-0"), str(Path(scratch) / f"hf-{attempt}"))[0]["seconds"]
                for attempt in range(repeat)
            ]
        reference = median(references)
        for key, runs in measured.items():
            target = TARGETS.get(key)
            results.append(
                Result(
                    scenario="formats",
                    n=rows,
                    metric=f"{key} export",
                    unit="rows/s",
                    value=median([rate for rate, _, _ in runs]),
                    reference="COPY row_to_json rows/s",
                    reference_value=reference,
                    target=f">= {target} x COPY row_to_json" if target else "",
                    target_value=target,
                    target_kind="ratio_at_least" if target else "",
                    note=f"{runs[0][2] / 1e6:.0f} MB written",
                )
            )
            results.append(
                Result(
                    scenario="formats",
                    n=rows,
                    metric=f"{key} export peak RSS",
                    unit="MB",
                    value=max(peak for _, peak, _ in runs),
                    target="< 300 MB",
                    target_value=300,
                    target_kind="at_most",
                )
            )
        results.append(
            Result(
                scenario="formats",
                n=rows,
                metric="datasets.load_dataset parquet",
                unit="s",
                value=median(loads),
                note="cold cache each time (Arrow conversion included)",
            )
        )
    finally:
        _delete_release(release)
    return results


def _export_child(release_id: str, key: str, directory: str) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthgov.settings.base")
    django.setup()
    from collections_app.models import Release
    from collections_app.services import release_export

    release = Release.objects.get(pk=int(release_id))
    started = time.perf_counter()
    files = release_export(release=release, format=key, directory=Path(directory))
    seconds = time.perf_counter() - started
    data = [entry for entry in files if entry["format"]]
    return {"rows": sum(e["rows"] for e in data), "bytes": sum(e["bytes"] for e in data), "seconds": seconds}


def _load_child(directory: str, cache: str) -> dict:
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HOME"] = cache
    import datasets

    started = time.perf_counter()
    dataset = datasets.load_dataset(directory, cache_dir=cache)
    seconds = time.perf_counter() - started
    return {"rows": sum(len(split) for split in dataset.values()), "seconds": seconds}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    report(_export_child(*arguments) if command == "export" else _load_child(*arguments))
