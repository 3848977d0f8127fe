"""Import of existing data at scale: a JSONL file (and the same rows as Parquet) of N lines of about
1 KB each, checks included, against PostgreSQL's `COPY FROM` of the same rows into a table with the
same indexes, with the time split between parsing, checks and writing and the peak RSS.

Each scenario runs in a fresh process (bench/run.py), so its peak RSS is its own. The split comes
from passes over the same file: reading and shaping only, then also the checks, then the import;
writing is what the import adds to the checks.
"""

import json
import random
import tempfile
import time
import uuid
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection

from qa_app.assessment import configured_hasher, content_flags
from qa_app.assessment.completeness import content_reasons
from qa_app.assessment.minhash import record_text
from qa_app.imports.readers import read_lines
from qa_app.imports.shapes import to_content
from qa_app.models import ImportRun, normalised_content_hash
from qa_app.services.imports import ImportRequest, import_run_create

from .child import run_child
from .fixture import WORDS, bench_tenant, bench_user
from .results import Result

BATCH = 2000
RSS_LIMIT_MB = 300


def _lines(n: int, run_tag: str):
    rng = random.Random(7)
    for number in range(n):
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        yield {
            "question": f"[{run_tag} {number}] How does the {rng.choice(WORDS)} relate to the {rng.choice(WORDS)}?",
            "answer": f"{words}.",
            "context": " ".join(rng.choice(WORDS) for _ in range(20)),
            "source_id": number,
        }


def _write_jsonl(path: Path, n: int, run_tag: str) -> None:
    with open(path, "w") as handle:
        for record in _lines(n, run_tag):
            handle.write(json.dumps(record) + "\n")


# Large row groups, as files written with pandas' or pyarrow's defaults have (one group of up to
# ~1M rows): the reader must stream a group's column chunks, not hold them.
PARQUET_ROW_GROUP_ROWS = 100_000


def _write_parquet(path: Path, n: int, run_tag: str) -> None:
    writer = None
    records = _lines(n, run_tag)
    while chunk := list(islice(records, PARQUET_ROW_GROUP_ROWS)):
        table = pa.Table.from_pylist(chunk)
        writer = writer or pq.ParquetWriter(path, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=PARQUET_ROW_GROUP_ROWS)
    writer.close()


def _parse_seconds(path: Path, file_format: str) -> float:
    started = time.perf_counter()
    for line in read_lines(path, file_format):
        to_content(line.record, shape="plain")
    return time.perf_counter() - started


def _parse_and_check_seconds(path: Path, file_format: str) -> float:
    hasher = configured_hasher()
    started = time.perf_counter()
    lines = read_lines(path, file_format)
    while batch := list(islice(lines, BATCH)):
        records = [to_content(line.record, shape="plain").record for line in batch]
        for record in records:
            content_reasons(record)
            normalised_content_hash(record["question"], record["answer"], record["context"])
            content_flags(record, locale="en")
        signatures = hasher.signatures([record_text(r["question"], r["answer"], r["context"]) for r in records])
        hasher.buckets(signatures)
    return time.perf_counter() - started


def _copy_from_seconds(run: ImportRun) -> float:
    """COPY FROM of the run's own rows into a table with qa_app_qapair's columns and indexes."""
    with connection.cursor() as cursor, tempfile.TemporaryDirectory() as directory:
        dump = Path(directory) / "rows.copy"
        raw = cursor.connection.cursor()
        with (
            open(dump, "wb") as handle,
            raw.copy(f"COPY (SELECT * FROM qa_app_qapair WHERE import_run_id = {int(run.pk)}) TO STDOUT") as copy,
        ):
            for chunk in copy:
                handle.write(chunk)
        cursor.execute("DROP TABLE IF EXISTS bench_import_reference")
        cursor.execute("CREATE TABLE bench_import_reference (LIKE qa_app_qapair INCLUDING ALL)")
        started = time.perf_counter()
        with open(dump, "rb") as handle, raw.copy("COPY bench_import_reference FROM STDIN") as copy:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_reference")
    return elapsed


def _import(n: int, file_format: str) -> list[Result]:
    run_tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"import.{'parquet' if file_format == 'parquet' else 'jsonl'}"
        (_write_parquet if file_format == "parquet" else _write_jsonl)(path, n, run_tag)
        size_mb = path.stat().st_size / 1e6
        parse = _parse_seconds(path, file_format)
        checks = _parse_and_check_seconds(path, file_format)
        run, _ = import_run_create(
            request=ImportRequest(tenant_id=bench_tenant(f"bench-import-{run_tag}"), locale="en", shape="plain"),
            acting_user=bench_user(),
            command_line_file=path,
            enqueue=False,
        )
        # The import alone in a fresh process: its peak RSS is the import's, not the file writer's.
        report, peak_rss = run_child("bench.import_child", str(run.pk))
        total = report["seconds"]
        run.refresh_from_db()
    if run.status != ImportRun.Status.SUCCEEDED or run.imported != n:
        raise RuntimeError(f"import {run.pk} {run.status}: {run.imported} of {n} lines imported ({run.error})")
    reference = _copy_from_seconds(run)
    label = "JSONL" if file_format == "jsonl" else "Parquet"
    note = (
        f"{size_mb:,.0f} MB file; parse {parse:.1f} s, checks {max(0.0, checks - parse):.1f} s, "
        f"writing adds {max(0.0, total - checks):.1f} s (it overlaps the next batch's checks): {total:.1f} s in all"
    )
    return [
        Result(
            scenario=f"import_{file_format}",
            n=n,
            metric=f"{label} import, checks included",
            unit="lines/s",
            value=n / total,
            reference="COPY FROM rows/s (same rows, same indexes)",
            reference_value=n / reference,
            target=">= 0.25 x COPY FROM",
            target_value=0.25,
            target_kind="ratio_at_least",
            note=note,
        ),
        Result(
            scenario=f"import_{file_format}",
            n=n,
            metric=f"{label} import peak RSS",
            unit="MB",
            value=peak_rss,
            target=f"< {RSS_LIMIT_MB} MB",
            target_value=RSS_LIMIT_MB,
            target_kind="at_most",
            note="the import in a process of its own (Django, the language model, pyarrow loaded)",
        ),
    ]


def import_jsonl(n: int, repeat: int) -> list[Result]:
    return _import(n, "jsonl")


def import_parquet(n: int, repeat: int) -> list[Result]:
    return _import(n, "parquet")
