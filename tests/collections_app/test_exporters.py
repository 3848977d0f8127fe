"""Every release format, read back by the library its users read it with, holds the released pairs."""

import csv
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.conf import settings

from collections_app.exporters import EXPORTERS, parquet
from collections_app.models import Split
from collections_app.services import release_export

from . import exporters_expected as expected
from .conftest import ALL_FORMATS

SPLITS = [Split.TRAIN, Split.VALIDATION, Split.TEST]
JSONL_FORMATS = {"openai_chat": expected.openai_chat, "alpaca": expected.alpaca, "sharegpt": expected.sharegpt}


def release_file(release, name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / release.storage_path / name


def read_jsonl(path: Path) -> list[dict]:
    content = path.read_bytes()
    if path.suffix == ".gz":
        content = gzip.decompress(content)
    # Lines end at "\n" only: str.splitlines() would also split inside a text at U+2028.
    return [json.loads(line) for line in content.decode("utf-8").split("\n") if line]


def test_every_registered_format_is_released_by_the_fixture():
    assert sorted(ALL_FORMATS) == sorted(EXPORTERS)


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("format_key", sorted(JSONL_FORMATS))
@pytest.mark.parametrize("split", SPLITS)
def test_jsonl_formats_read_back_with_json_hold_the_released_pairs(varied_release, format_key, compressed, split):
    key = format_key + ("_gz" if compressed else "")

    records = read_jsonl(release_file(varied_release, EXPORTERS[key].file_name(split)))

    assert records == [
        JSONL_FORMATS[format_key](pair, weight) for pair, weight in expected.released_pairs(varied_release, split)
    ]


@pytest.mark.parametrize("format_key", sorted(JSONL_FORMATS))
def test_jsonl_records_carry_a_weight_only_where_it_is_not_1(varied_release, format_key):
    records = read_jsonl(release_file(varied_release, EXPORTERS[format_key].file_name(Split.TRAIN)))

    assert [record.get("weight") for record in records] == [2.5, None, 1e-05]


def test_gzip_files_name_no_file_and_no_time_in_their_header(varied_release):
    header = release_file(varied_release, "openai_chat_gz/train.jsonl.gz").read_bytes()[:10]

    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] == 0, "no FNAME (or other optional field) flag"
    assert header[4:8] == b"\0\0\0\0", "mtime 0"


@pytest.mark.parametrize("split", SPLITS)
def test_parquet_read_back_with_pyarrow_holds_the_released_pairs_in_typed_columns(varied_release, split):
    table = pq.read_table(release_file(varied_release, f"parquet/{split}.parquet"))

    assert table.schema.equals(parquet.schema())
    assert table.to_pylist() == [
        expected.table_row(pair, weight, split) for pair, weight in expected.released_pairs(varied_release, split)
    ]


def test_parquet_is_zstd_compressed_in_row_groups_of_the_batch_size(varied_release, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 2)
    path = tmp_path / "train.parquet"

    rows = parquet.write(varied_release, Split.TRAIN, path, row_group_rows=2)

    metadata = pq.ParquetFile(path).metadata
    assert rows == 3
    assert [metadata.row_group(index).num_rows for index in range(metadata.num_row_groups)] == [2, 1]
    assert metadata.row_group(0).column(0).compression == "ZSTD"


@pytest.mark.parametrize("split", SPLITS)
def test_csv_read_back_with_the_csv_module_holds_the_released_pairs(varied_release, split):
    with open(release_file(varied_release, f"csv/{split}.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def as_csv(row: dict) -> dict:
        return {
            key: "" if value is None else repr(value) if key == "weight" else str(value) for key, value in row.items()
        }

    assert rows == [
        as_csv(expected.table_row(pair, weight, split))
        for pair, weight in expected.released_pairs(varied_release, split)
    ]


def test_release_records_the_formats_it_wrote_and_a_file_per_format_and_split(varied_release):
    data_files = [entry for entry in varied_release.files if entry["format"]]

    assert varied_release.formats == ALL_FORMATS
    assert [(entry["format"], entry["split"]) for entry in data_files] == [
        (key, split) for key in ALL_FORMATS for split in SPLITS
    ]
    assert all(release_file(varied_release, entry["name"]).is_file() for entry in data_files)


@pytest.mark.parametrize("format_key", ALL_FORMATS)
def test_exporting_a_release_again_gives_byte_identical_files(varied_release, format_key, tmp_path):
    first = release_export(release=varied_release, format=format_key, directory=tmp_path / "first")
    second = release_export(release=varied_release, format=format_key, directory=tmp_path / "second")

    assert first == second
    for entry in first:
        content = (tmp_path / "first" / entry["name"]).read_bytes()
        assert content == (tmp_path / "second" / entry["name"]).read_bytes()
        if entry["format"]:
            assert content == release_file(varied_release, entry["name"]).read_bytes()


def test_export_reads_the_frozen_release_not_the_collections_current_members(varied_release, tmp_path, curator):
    varied_release.collection.memberships.update(weight=7.0, split=Split.TEST)

    files = release_export(release=varied_release, format="openai_chat", directory=tmp_path / "export")

    released = {entry["name"]: entry["sha256"] for entry in varied_release.files}
    assert all(released[entry["name"]] == entry["sha256"] for entry in files if entry["format"])
