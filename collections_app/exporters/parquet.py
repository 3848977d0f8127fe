"""Parquet (pyarrow): one typed row per pair, zstd-compressed, written row group by row group.

Columns: pair_id (int64), split, question, answer, context, system_prompt (strings), weight
(float64, every row, 1.0 included), source, template (string, null for pairs not generated from a
template), template_version (int32, null likewise), template_sha256, content_hash (strings).

Two row sources with the same values: Python tuples from the ORM (any database) and, on
PostgreSQL, CSV streamed through COPY TO and parsed by pyarrow's C++ reader, several times faster
and without a Python object per value. Either is gathered into row groups of `ROW_GROUP_ROWS`
rows, each written from one contiguous table, so memory stays at about one row group and the same
rows give the same bytes whichever source read them (tests/collections_app/test_parquet_export.py).

pyarrow is imported where a file is written, not with the module: it costs a process about 40 MB,
and most processes (web workers, generation workers, JSONL imports) never write Parquet
(tests/test_startup_imports.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection
from psycopg import sql

if TYPE_CHECKING:
    import pyarrow as pa

from .rows import release_rows

FORMAT = "parquet"
LABEL = "Parquet (typed columns, zstd)"
EXTENSION = "parquet"
ROW_GROUP_ROWS = 10_000
PYTHON_BATCH_ROWS = 5_000
# What pyarrow's CSV reader parses at once from the COPY stream. Small blocks bound the process's
# peak: a Parquet export of 800,498 rows peaked at 395-399 MB with 4 MB blocks, 331 MB with 2 MB,
# 271-282 MB with 256 KB, at the same speed (the Arrow pool itself stays near zero; what grows is
# the allocator's heap around the blocks' buffers).
COPY_BLOCK_BYTES = 256 << 10
# Columns with few distinct values; the texts and hashes are (nearly) all distinct, and trying a
# dictionary for them first costs time for nothing.
DICTIONARY_COLUMNS = ["split", "system_prompt", "source", "template", "template_version", "template_sha256"]

# The file's columns as (name, Arrow type name).
COLUMNS = [
    ("pair_id", "int64"),
    ("split", "string"),
    ("question", "string"),
    ("answer", "string"),
    ("context", "string"),
    ("system_prompt", "string"),
    ("weight", "double"),
    ("source", "string"),
    ("template", "string"),
    ("template_version", "int32"),
    ("template_sha256", "string"),
    ("content_hash", "string"),
]


@cache
def schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(name, pa.type_for_alias(type_name)) for name, type_name in COLUMNS])


# rows.COLUMNS order, with the split inserted second.
_FROM_ROW = [0, None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

# The columns in order; PostgreSQL's CSV writes NULL unquoted and "" quoted, so pyarrow
# tells a missing template from an empty text.
_POSTGRES_ROWS = """
SELECT i.qa_pair_id, i.split, p.question, p.answer, p.context, coalesce(p.metadata->>'system_prompt', ''),
       i.weight, p.source, t.key, v.version, v.content_sha256, i.content_hash
FROM collections_app_releaseitem i
JOIN qa_app_qapair p ON p.id = i.qa_pair_id
LEFT JOIN templates_app_templateversion v ON v.id = p.template_version_id
LEFT JOIN templates_app_prompttemplate t ON t.id = v.template_id
WHERE i.release_id = {release_id} AND i.split = {split}
ORDER BY i.qa_pair_id
"""


def _batch(rows: list[tuple], split: str) -> pa.RecordBatch:
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array([split] * len(rows), pa.string()) if index is None else pa.array(columns[index], field.type)
        for index, field in zip(_FROM_ROW, schema(), strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema())


def python_batches(release, split: str) -> Iterator[pa.RecordBatch]:
    batch: list[tuple] = []
    for values in release_rows(release, split):
        batch.append(values)
        if len(batch) == PYTHON_BATCH_ROWS:
            yield _batch(batch, split)
            batch = []
    if batch:
        yield _batch(batch, split)


class _CopyStream(io.RawIOBase):
    """The bytes of a COPY TO, as a file pyarrow can read."""

    def __init__(self, chunks: Iterator):
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(bytes(chunk))
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def postgres_batches(release, split: str) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pa_csv

    query = sql.SQL(_POSTGRES_ROWS).format(release_id=sql.Literal(release.pk), split=sql.Literal(split))
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)) as copy:
            stream = io.BufferedReader(_CopyStream(iter(copy)), buffer_size=1 << 20)
            reader = pa_csv.open_csv(
                stream,
                # One thread: the reader pulls from this connection, which belongs to this thread.
                read_options=pa_csv.ReadOptions(
                    column_names=[name for name, _ in COLUMNS], block_size=COPY_BLOCK_BYTES, use_threads=False
                ),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=schema(),
                    # Only PostgreSQL's NULL (an unquoted empty field); a text "NULL" or "N/A" stays text.
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
            yield from reader


def batches(release, split: str) -> Iterator[pa.RecordBatch]:
    if connection.vendor == "postgresql":
        return postgres_batches(release, split)
    return python_batches(release, split)


def write(release, split: str, path: Path, progress=None, *, row_group_rows: int | None = None) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    row_group_rows = row_group_rows or ROW_GROUP_ROWS
    written = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0

    def flush(table: pa.Table) -> None:
        nonlocal written
        # One contiguous table per row group: the bytes depend on the values only, not on how
        # the source cut its batches.
        writer.write_table(table.combine_chunks(), row_group_size=row_group_rows)
        written += table.num_rows
        if progress is not None:
            progress(table.num_rows)

    with pq.ParquetWriter(
        path, schema(), compression="zstd", compression_level=3, use_dictionary=DICTIONARY_COLUMNS
    ) as writer:
        for batch in batches(release, split):
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= row_group_rows:
                table = pa.Table.from_batches(pending, schema=schema())
                flush(table.slice(0, row_group_rows))
                rest = table.slice(row_group_rows)
                pending = rest.combine_chunks().to_batches() if rest.num_rows else []
                pending_rows = rest.num_rows
        if pending_rows:
            flush(pa.Table.from_batches(pending, schema=schema()))
    return written
