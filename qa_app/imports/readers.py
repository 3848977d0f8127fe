"""Reading an import file record by record, streaming: JSON Lines (plain or gzip), CSV, Parquet.

Every reader yields `Line(number, record, raw, problem)` from line `start` on: `number` counts from 1
(the line of a JSONL file, the data row of a CSV file after its header, the row of a Parquet
file), `record` is a dict when the line could be read, else `problem` says why and `raw` keeps
the text as it was (truncated). Memory stays bounded by one line (JSONL, CSV) or one record batch
(Parquet), whatever the file's size.
"""

import csv
import gzip
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

RAW_KEPT_CHARS = 2000
PARQUET_BATCH_ROWS = 2000
PARQUET_BUFFER_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"


class UnreadableFile(Exception):
    """The file cannot be read at all (not the format it claims, truncated, not a file)."""


@dataclass(frozen=True)
class Line:
    number: int
    record: dict | None
    raw: str = ""
    problem: str = ""


def detect_format(path: Path) -> str:
    """'parquet', 'csv' or 'jsonl' from the file's first bytes and name."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head == PARQUET_MAGIC:
        return "parquet"
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".csv", ".tsv")):
        return "csv"
    return "jsonl"


@contextmanager
def _opened(path: Path) -> Iterator:
    """The file's bytes, decompressed when it is gzip."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == GZIP_MAGIC
    with gzip.open(path, "rb") if gzipped else open(path, "rb") as handle:
        yield handle


def _kept(text: str) -> str:
    return text[:RAW_KEPT_CHARS]


def read_jsonl(path: Path, *, start: int = 0, max_line_bytes: int = 1_000_000) -> Iterator[Line]:
    try:
        with _opened(path) as handle:
            yield from _jsonl_lines(_bounded_lines(handle, max_line_bytes), start)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise UnreadableFile(f"The file cannot be read as JSON Lines: {error}.") from error


def _bounded_lines(handle, limit: int) -> Iterator[bytes | Line]:
    """The file's lines; a line over `limit` bytes is skipped in chunks (never held whole) and
    stands as a Line with its problem (its number is filled in by the caller)."""
    while line := handle.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        length = len(line)
        while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
            length += len(rest)
        length += len(rest)
        yield Line(
            0,
            None,
            _kept(line[:RAW_KEPT_CHARS].decode("utf-8", "replace")),
            f"line has {length:,} bytes; at most {limit:,} are read",
        )


def _jsonl_lines(lines: Iterator[bytes | Line], start: int) -> Iterator[Line]:
    for number, raw_bytes in enumerate(lines, start=1):
        if number <= start:
            continue
        if isinstance(raw_bytes, Line):
            yield Line(number, None, raw_bytes.raw, raw_bytes.problem)
            continue
        try:
            text = raw_bytes.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Line(number, None, _kept(raw_bytes.decode("utf-8", "replace")), f"invalid UTF-8: {error.reason}")
            continue
        stripped = text.strip()
        if not stripped:
            yield Line(number, None, "", "empty line")
            continue
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as error:
            yield Line(number, None, _kept(text), f"bad JSON: {error.msg} at column {error.colno}")
            continue
        if not isinstance(record, dict):
            yield Line(number, None, _kept(text), f"a line must be a JSON object, not {type(record).__name__}")
            continue
        yield Line(number, record, _kept(text))


def read_csv(path: Path, *, start: int = 0) -> Iterator[Line]:
    try:
        with _opened(path) as handle:
            yield from _csv_lines(handle, start, tab=path.name.lower().removesuffix(".gz").endswith(".tsv"))
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error, UnicodeError) as error:
        raise UnreadableFile(f"The file cannot be read as CSV: {error}.") from error


def _csv_lines(handle, start: int, *, tab: bool) -> Iterator[Line]:
    # Undecodable bytes become U+FFFD so one bad line does not end the file; a line holding one
    # is reported as invalid UTF-8.
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
    reader = csv.DictReader(text, dialect="excel-tab" if tab else "excel")
    if reader.fieldnames is None:
        return
    for number, row in enumerate(reader, start=1):
        if number <= start:
            continue
        raw = _kept(",".join(value for value in row.values() if isinstance(value, str)))
        if None in row:
            yield Line(number, None, raw, f"{len(row[None])} more field(s) than the header names")
            continue
        if any("\ufffd" in (value or "") for value in row.values() if isinstance(value, str)):
            yield Line(number, None, raw, "invalid UTF-8")
            continue
        yield Line(number, dict(row), raw)


def _parquet_file(path: Path):
    # Imported here: pyarrow costs a process about 40 MB, and only Parquet files need it
    # (tests/test_startup_imports.py).
    import pyarrow.parquet as pq

    # Column chunks are streamed through a 1 MB buffer, page by page, instead of each being read
    # whole: a file written with one row group (pyarrow's and pandas' default up to ~1M rows) was
    # otherwise held compressed in memory column by column (reading a 1,000,000-row, 259 MB file:
    # peak RSS 397 MB, with the buffer 145 MB, as for 100,000 rows). No pre-buffering either
    # (a 100,000-row file: 145 MB pre-buffered, 129 MB not).
    return pq.ParquetFile(path, pre_buffer=False, buffer_size=PARQUET_BUFFER_BYTES)


def read_parquet(path: Path, *, start: int = 0) -> Iterator[Line]:
    try:
        parquet = _parquet_file(path)
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise UnreadableFile(f"The file cannot be read as Parquet: {error}.") from error
    number = 0
    # Whole row groups before `start` are skipped without being read.
    groups = []
    for group in range(parquet.num_row_groups):
        rows = parquet.metadata.row_group(group).num_rows
        if number + rows <= start:
            number += rows
            continue
        groups.append(group)
    if not groups:
        return
    # One thread: decoding columns in parallel holds several row groups' pages at once (176 MB
    # instead of 145 MB for that file), and the checks, not the decoding, bound an import.
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, row_groups=groups, use_threads=False):
        for record in batch.to_pylist():
            number += 1
            if number <= start:
                continue
            yield Line(number, record, "")


def count_lines(path: Path, file_format: str) -> int:
    """Rows of a Parquet file (from its footer); line breaks of a text file, read in chunks (a CSV
    header and line breaks inside quoted fields make that an estimate)."""
    if file_format == "parquet":
        try:
            return _parquet_file(path).metadata.num_rows
        except Exception:  # not Parquet after all: the run fails with the reader's sentence
            return 0
    count, last = 0, b"\n"
    try:
        with _opened(path) as handle:
            while chunk := handle.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except (OSError, EOFError, gzip.BadGzipFile):
        return 0
    count += last != b"\n"
    return max(0, count - 1) if file_format == "csv" else count


READERS = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}


def read_lines(path: Path, file_format: str, *, start: int = 0) -> Iterator[Line]:
    if file_format == "jsonl":
        return read_jsonl(path, start=start, max_line_bytes=settings.SYNTHGOV_IMPORT_MAX_LINE_BYTES)
    return READERS[file_format](path, start=start)


def raw_of(record: dict) -> str:
    """A record as text for a line issue (Parquet rows have no raw text)."""
    return _kept(json.dumps(record, ensure_ascii=False, default=str))
