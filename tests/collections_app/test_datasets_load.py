"""A release folder loads with Hugging Face `datasets`, offline, in every format: the card's configs."""

import functools
import os
from pathlib import Path

import pytest
from django.conf import settings

from collections_app.exporters import EXPORTERS

from .conftest import ALL_FORMATS

COLUMNS = {
    "openai_chat": {"messages", "weight"},
    "alpaca": {"instruction", "input", "output", "weight"},
    "sharegpt": {"conversations", "weight"},
    "parquet": {
        "pair_id",
        "split",
        "question",
        "answer",
        "context",
        "system_prompt",
        "weight",
        "source",
        "template",
        "template_version",
        "template_sha256",
        "content_hash",
    },
}
COLUMNS["csv"] = COLUMNS["parquet"]


@pytest.fixture
def load_dataset(tmp_path, monkeypatch):
    """datasets.load_dataset, offline, with a cache of its own."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", Path(tmp_path / "hf" / "datasets"))
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)

    def load(*args, **kwargs):
        return datasets.load_dataset(*args, cache_dir=str(tmp_path / "hf" / "datasets"), **kwargs)

    return load


def folder(release) -> str:
    return os.fspath(Path(settings.MEDIA_ROOT) / release.storage_path)


def assert_loaded(dataset, format_key: str) -> None:
    assert {split: len(rows) for split, rows in dataset.items()} == {"train": 3, "validation": 1, "test": 1}
    columns = COLUMNS[format_key.removesuffix("_gz")]
    assert set(dataset["train"].column_names) == columns
    assert set(dataset["test"].column_names) <= columns


@pytest.mark.parametrize("format_key", [key for key in ALL_FORMATS if EXPORTERS[key].builder == "json"])
def test_each_jsonl_format_loads_as_a_config_of_the_folder(varied_release, load_dataset, format_key):
    assert_loaded(load_dataset(folder(varied_release), format_key), format_key)


@pytest.mark.parametrize("format_key", [key for key in ALL_FORMATS if key != "csv"])
def test_each_formats_folder_loads_on_its_own(varied_release, load_dataset, format_key):
    assert_loaded(load_dataset(os.path.join(folder(varied_release), format_key)), format_key)


def test_the_csv_folder_loads_on_its_own_one_split_at_a_time(varied_release, load_dataset):
    # pandas guesses column types per file (the card says so); the csv config of a release led by csv has types.
    train = load_dataset(os.path.join(folder(varied_release), "csv"), data_files="train.csv", split="train")

    assert len(train) == 3
    assert set(train.column_names) == COLUMNS["csv"]


@pytest.mark.parametrize("format_key", ["parquet", "csv"])
def test_a_release_led_by_a_table_format_loads_it_as_the_default_config(
    load_dataset, approved_pair, curator, format_key, tmp_path
):
    from collections_app.services import collection_add_pairs, collection_release, release_export
    from tests.factories import CollectionFactory, TemplateVersionFactory

    collection = CollectionFactory()
    version = TemplateVersionFactory()
    add = functools.partial(collection_add_pairs, collection=collection, acting_user=curator)
    add(pairs=[approved_pair(), approved_pair()], split="train")
    add(pairs=[approved_pair(template_version=version)], split="test")
    release = collection_release(collection=collection, acting_user=curator, formats=[format_key, "openai_chat"])

    dataset = load_dataset(folder(release))

    assert {split: len(rows) for split, rows in dataset.items()} == {"train": 2, "test": 1}
    assert set(dataset["train"].column_names) == COLUMNS[format_key]
    assert dataset["train"].features["template_version"].dtype == "int32"
    assert dataset["test"]["template_version"] == [version.version]
    release_export(release=release, format=format_key, directory=tmp_path / "export")
    assert len(load_dataset(os.fspath(tmp_path / "export"))["train"]) == 2


def test_the_folder_loads_its_first_format_by_default(varied_release, load_dataset):
    dataset = load_dataset(folder(varied_release))

    assert set(dataset["train"].column_names) == COLUMNS[varied_release.formats[0]]
    assert dataset["train"][0]["messages"][0] == {"role": "system", "content": "Be brief."}


def test_parquet_config_keeps_the_typed_columns(varied_release, load_dataset):
    train = load_dataset(os.path.join(folder(varied_release), "parquet"))["train"]

    assert train.features["pair_id"].dtype == "int64"
    assert train.features["weight"].dtype == "float64"
    assert train["weight"] == [2.5, 1.0, 1e-05]


def test_every_registered_format_has_a_datasets_builder():
    assert {exporter.builder for exporter in EXPORTERS.values()} == {"json", "parquet", "csv"}
