"""The release formats: a registry from format key to how one split's file is written.

Each format lives in its own module (openai_chat, alpaca, sharegpt, parquet, csv_table) and
writes one file per split, streaming rows from the release's frozen items with constant memory.
The JSONL formats also come gzip-compressed under the key with `_gz` appended (`openai_chat_gz`,
`alpaca_gz`, `sharegpt_gz`; files `*.jsonl.gz`). The gzip header holds no file name and mtime 0,
so re-exporting gives the same bytes.

A release writes each format under its own folder, `<format>/<split>.<extension>`; that folder is
one `datasets` config (see collections_app/card.py).
"""

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synthgov.errors import InvalidInput

from . import alpaca, csv_table, openai_chat, parquet, sharegpt

GZIP_SUFFIX = "_gz"
GZIP_LEVEL = 6


@dataclass(frozen=True)
class Exporter:
    key: str
    label: str
    extension: str
    # The `datasets` packaged builder that reads the files (json, parquet, csv).
    builder: str
    # write(release, split, path, progress) -> rows; progress(rows) is called as rows are written.
    write: Callable[..., int]
    # Column name -> `datasets` dtype, for the card's `dataset_info` (CSV carries no types of its own).
    features: dict | None = None

    def file_name(self, split: str) -> str:
        return f"{self.key}/{split}.{self.extension}"


def _jsonl_writer(module, *, compress: bool):
    """Writes the lines of `module.lines` (looked up per call), gzip-compressed or not."""

    def write(release, split: str, path: Path, progress=None) -> int:
        rows = 0
        with open(path, "wb") as raw:
            handle = (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=GZIP_LEVEL)
                if compress
                else raw
            )
            try:
                for chunk in module.lines(release, split):
                    handle.write(chunk)
                    count = chunk.count(b"\n")
                    rows += count
                    if progress is not None:
                        progress(count)
            finally:
                if compress:
                    handle.close()
        return rows

    return write


def _features(columns) -> dict:
    """`datasets` dtypes of (name, Arrow type name) columns."""
    return {name: type_name.replace("double", "float64") for name, type_name in columns}


def _registry() -> dict[str, Exporter]:
    formats = {}
    for module in (openai_chat, alpaca, sharegpt):
        formats[module.FORMAT] = Exporter(
            module.FORMAT, module.LABEL, module.EXTENSION, "json", _jsonl_writer(module, compress=False)
        )
    for module in (openai_chat, alpaca, sharegpt):
        key = module.FORMAT + GZIP_SUFFIX
        formats[key] = Exporter(
            key, f"{module.LABEL}, gzip", f"{module.EXTENSION}.gz", "json", _jsonl_writer(module, compress=True)
        )
    formats[parquet.FORMAT] = Exporter(
        parquet.FORMAT, parquet.LABEL, parquet.EXTENSION, "parquet", parquet.write, _features(parquet.COLUMNS)
    )
    formats[csv_table.FORMAT] = Exporter(
        csv_table.FORMAT,
        csv_table.LABEL,
        csv_table.EXTENSION,
        "csv",
        csv_table.write,
        _features(parquet.COLUMNS),
    )
    return formats


EXPORTERS: dict[str, Exporter] = _registry()
FORMAT_CHOICES = [(key, exporter.label) for key, exporter in EXPORTERS.items()]


def unknown_formats_message(unknown) -> str:
    return f"Unknown format(s): {', '.join(repr(str(name)) for name in unknown)}; choose from {', '.join(EXPORTERS)}."


def clean_formats(formats, *, field: str = "formats") -> list[str]:
    """The formats asked for, in order without repeats; InvalidInput naming the valid keys otherwise."""
    if not isinstance(formats, list | tuple) or not formats or not all(isinstance(name, str) for name in formats):
        raise InvalidInput(f"Give one or more formats from {', '.join(EXPORTERS)}.", field=field)
    unknown = [name for name in formats if name not in EXPORTERS]
    if unknown:
        raise InvalidInput(unknown_formats_message(unknown), field=field)
    return list(dict.fromkeys(formats))
