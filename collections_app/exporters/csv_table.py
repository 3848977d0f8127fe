"""CSV (the standard library's csv, excel dialect: comma, double quotes, CRLF line ends, UTF-8).

A header row, then one row per pair with the Parquet columns: pair_id, split, question, answer,
context, system_prompt, weight (Python's repr of the float, 1.0 included), source, template,
template_version, template_sha256 (empty for pairs not generated from a template), content_hash.
"""

import csv
from pathlib import Path

from .rows import COLUMNS, release_rows

FORMAT = "csv"
LABEL = "CSV (one row per pair, with header)"
EXTENSION = "csv"
PROGRESS_EVERY = 5000
# The Parquet columns: the rows' columns with the split after the pair id.
HEADER = [COLUMNS[0], "split", *COLUMNS[1:]]


def write(release, split: str, path: Path, progress=None) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for pair_id, question, answer, context, system_prompt, weight, *rest in release_rows(release, split):
            source, template, template_version, template_sha256, content_hash = rest
            writer.writerow(
                [
                    pair_id,
                    split,
                    question,
                    answer,
                    context,
                    system_prompt,
                    repr(weight),
                    source,
                    template or "",
                    "" if template_version is None else template_version,
                    template_sha256 or "",
                    content_hash,
                ]
            )
            rows += 1
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
    if progress is not None:
        progress(rows % PROGRESS_EVERY)
    return rows
