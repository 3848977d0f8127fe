"""Parquet (pyarrow): one typed row per pair, zstd-compressed, written batch by batch.

Columns: pair_id (int64), split, question, answer, context, system_prompt (strings), weight
(float64, every row, 1.0 included), source, template (string, null for pairs not generated from a
template), template_version (int32, null likewise), template_sha256, content_hash (strings).
Each batch of `ROW_GROUP_ROWS` rows becomes one row group, so memory stays at one batch; the
writer's options are fixed, so the same rows give the same bytes.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .rows import release_rows

FORMAT = "parquet"
LABEL = "Parquet (typed columns, zstd)"
EXTENSION = "parquet"
ROW_GROUP_ROWS = 50_000

SCHEMA = pa.schema(
    [
        ("pair_id", pa.int64()),
        ("split", pa.string()),
        ("question", pa.string()),
        ("answer", pa.string()),
        ("context", pa.string()),
        ("system_prompt", pa.string()),
        ("weight", pa.float64()),
        ("source", pa.string()),
        ("template", pa.string()),
        ("template_version", pa.int32()),
        ("template_sha256", pa.string()),
        ("content_hash", pa.string()),
    ]
)
# rows.COLUMNS order, with the split inserted second.
_FROM_ROW = [0, None, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def _batch(rows: list[tuple], split: str) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array([split] * len(rows), pa.string()) if index is None else pa.array(columns[index], field.type)
        for index, field in zip(_FROM_ROW, SCHEMA, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def write(release, split: str, path: Path, progress=None, *, row_group_rows: int = ROW_GROUP_ROWS) -> int:
    written = 0
    with pq.ParquetWriter(path, SCHEMA, compression="zstd", compression_level=3) as writer:
        batch: list[tuple] = []
        for values in release_rows(release, split):
            batch.append(values)
            if len(batch) == row_group_rows:
                writer.write_batch(_batch(batch, split), row_group_size=row_group_rows)
                written += len(batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            writer.write_batch(_batch(batch, split), row_group_size=row_group_rows)
            written += len(batch)
            if progress is not None:
                progress(len(batch))
    return written
