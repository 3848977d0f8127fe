"""The manifest's receipts and the dataset card made from it."""

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from collections_app import receipts
from collections_app.card import render_card
from collections_app.models import Membership, Split
from collections_app.services import (
    CARD_NAME,
    MANIFEST_NAME,
    collection_add_pairs,
    collection_release,
    release_export,
)
from qa_app.services import qa_pair_reopen
from synthgov.errors import InvalidInput
from tests.factories import CollectionFactory


def release_directory(release) -> Path:
    return Path(settings.MEDIA_ROOT) / release.storage_path


@pytest.fixture
def add(curator):
    def add(collection, *pairs, split=Split.TRAIN, weight=1.0):
        collection_add_pairs(collection=collection, pairs=pairs, split=split, weight=weight, acting_user=curator)

    return add


def test_manifest_names_the_software_version_and_commit(varied_release):
    software = varied_release.manifest["software"]

    assert software["package"] == "synthgov"
    assert software["version"] == receipts._package_version() != "unknown"
    assert software["commit"] is None or len(software["commit"]) == 40


def test_software_has_no_commit_when_git_is_not_there(monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(receipts.subprocess, "run", no_git)

    assert receipts.software()["commit"] is None


def test_manifest_records_time_author_and_duration_once(varied_release, curator):
    manifest = varied_release.manifest

    assert manifest["author"] == curator.username
    assert manifest["created_at"].startswith(str(varied_release.published_at.date()))
    assert manifest["duration_seconds"] >= 0
    card = (release_directory(varied_release) / CARD_NAME).read_text()
    assert manifest["created_at"] not in card
    another_time = {**manifest, "created_at": "2001-01-01T00:00:00", "author": "someone-else", "duration_seconds": 9}
    assert render_card(another_time) == card


def test_manifest_lists_every_file_with_rows_bytes_and_sha256_as_on_disk(varied_release):
    directory = release_directory(varied_release)
    for entry in varied_release.files:
        content = (directory / entry["name"]).read_bytes()
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert [entry["name"] for entry in varied_release.files][-2:] == [CARD_NAME, MANIFEST_NAME]
    assert json.loads((directory / MANIFEST_NAME).read_text())["files"] == varied_release.files[:-1]


def test_manifest_counts_records_in_and_out_with_the_reasons(collection, approved_pair, add, reviewer, curator):
    kept, reopened = approved_pair(), approved_pair()
    add(collection, kept, reopened)
    qa_pair_reopen(pair=reopened, acting_user=reviewer, reason="second look")

    manifest = collection_release(collection=collection, acting_user=curator).manifest

    assert manifest["records"]["in"] == 2
    assert manifest["records"]["out"] == 1
    assert sum(manifest["records"]["left_out"].values()) == 1
    assert manifest["records"]["left_out"] == manifest["left_out"]


def test_manifest_counts_per_split_chapter_source_template_version_and_quality(varied_release):
    manifest = varied_release.manifest

    assert manifest["splits"] == {"train": 3, "validation": 1, "test": 1}
    assert manifest["chapters"] == {"(no template)": 4, "arithmetic": 1}
    assert manifest["lineage"]["sources"] == {"operator": 5}
    [version] = manifest["template_versions"]
    assert version["pairs"] == 1
    assert len(version["content_sha256"]) == 64
    assert manifest["quality_scores"] == {"unscored": 3, "0.3-0.4": 1, "0.8-0.9": 1}


def test_the_guards_results_are_in_the_manifest_and_the_card(collection, approved_pair, add, curator):
    add(collection, approved_pair())

    release = collection_release(collection=collection, acting_user=curator)

    guards = release.manifest["guards"]
    assert guards["results"]["pii"] == "left out"
    assert set(guards["results"].values()) <= {"pass", "left out"}
    assert guards["warnings"] == []
    assert "| results |" in (release_directory(release) / CARD_NAME).read_text()


def test_state_hash_changes_with_members_splits_and_weights_only(collection, approved_pair, add):
    first, second = approved_pair(), approved_pair()
    add(collection, first, second)
    before = receipts.collection_state_sha256(collection)

    assert receipts.collection_state_sha256(collection) == before
    Membership.objects.filter(qa_pair=second).update(weight=2.0)
    weighted = receipts.collection_state_sha256(collection)
    Membership.objects.filter(qa_pair=second).update(split=Split.TEST)
    moved = receipts.collection_state_sha256(collection)

    assert len({before, weighted, moved}) == 3
    collection.name = "Renamed"
    collection.save()
    assert receipts.collection_state_sha256(collection) == moved


def test_state_hash_streams_the_members_in_chunks(collection, approved_pair, add, monkeypatch):
    add(collection, *[approved_pair() for _ in range(5)])
    whole = receipts.collection_state_sha256(collection)

    monkeypatch.setattr(receipts, "STATE_CHUNK", 2)

    assert receipts.collection_state_sha256(collection) == whole


def test_card_describes_purpose_counts_versions_quality_left_out_and_limits(varied_release):
    card = (release_directory(varied_release) / CARD_NAME).read_text()

    assert "# Varied pairs — release v1" in card
    assert "Pairs for the format tests." in card
    for heading in ["## Files", "### Per split", "### Per chapter", "### Per source", "## Template versions"]:
        assert heading in card
    assert "## Quality scores" in card
    assert "| 0.8-0.9 | 1 |" in card
    assert "## Left out" in card
    assert "## Known limits" in card
    assert varied_release.manifest["state_sha256"] in card
    assert varied_release.manifest["template_versions"][0]["content_sha256"] in card


def test_card_is_made_from_the_manifest_alone(varied_release):
    card = (release_directory(varied_release) / CARD_NAME).read_text()

    assert render_card(varied_release.manifest) == card


def test_exported_card_is_the_same_bytes_each_time_and_lists_the_exported_format_only(varied_release, tmp_path):
    release_export(release=varied_release, format="parquet", directory=tmp_path / "a")
    release_export(release=varied_release, format="parquet", directory=tmp_path / "b")

    card = (tmp_path / "a" / CARD_NAME).read_bytes()
    assert card == (tmp_path / "b" / CARD_NAME).read_bytes()
    assert b"config_name: parquet" in card
    assert b"openai_chat/" not in card


def test_release_writes_the_collections_default_formats_unless_asked_for_others(approved_pair, add, curator):
    collection = CollectionFactory(default_formats=["alpaca", "parquet"])
    add(collection, approved_pair())

    default = collection_release(collection=collection, acting_user=curator)
    asked = collection_release(collection=collection, acting_user=curator, formats=["csv"])

    assert default.formats == ["alpaca", "parquet"]
    assert asked.formats == ["csv"]
    assert [entry["name"] for entry in asked.files if entry["format"]] == ["csv/train.csv"]


def test_release_refuses_an_unknown_format_naming_the_valid_ones_and_writes_nothing(
    collection, approved_pair, add, curator
):
    add(collection, approved_pair())

    with pytest.raises(InvalidInput) as refused:
        collection_release(collection=collection, acting_user=curator, formats=["openai_chat", "xml"])

    assert "'xml'" in refused.value.message
    assert "openai_chat, alpaca, sharegpt" in refused.value.message
    assert not collection.releases.exists()


def test_collection_refuses_default_formats_outside_the_registry(db):
    collection = CollectionFactory.build(default_formats=["yaml"])

    with pytest.raises(ValidationError) as refused:
        collection.full_clean()

    assert "Unknown format(s): 'yaml'" in str(refused.value.message_dict["default_formats"])
