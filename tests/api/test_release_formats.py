"""Releasing over the API in the formats asked for; collections keep default formats.

Format keys are text a client sends: over-long values and NULs answer 400 with nothing stored (the
NUL test matters on PostgreSQL, which refuses NUL in text).
"""

import pytest

from collections_app.exporters import EXPORTERS
from collections_app.models import Collection, Release
from collections_app.services import collection_add_pairs
from tests.factories import CollectionFactory

COLLECTIONS = "/api/v1/collections/"
RELEASES = "/api/v1/releases/"


@pytest.fixture
def collection(curator, approved_pairs):
    collection = CollectionFactory(slug="maths")
    collection_add_pairs(collection=collection, pairs=approved_pairs(3), split="train", acting_user=curator)
    return collection


def release_url(collection) -> str:
    return f"{COLLECTIONS}{collection.pk}/releases/"


def test_release_writes_the_formats_in_the_request(api, curator, collection):
    response = api(curator).post(release_url(collection), {"formats": ["parquet", "alpaca_gz"]}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["formats"] == ["parquet", "alpaca_gz"]
    assert [entry["name"] for entry in body["files"] if entry["format"]] == [
        "parquet/train.parquet",
        "alpaca_gz/train.jsonl.gz",
    ]


def test_release_without_a_body_writes_the_collections_default_formats(api, curator, collection):
    response = api(curator).post(release_url(collection))

    assert response.status_code == 201
    assert response.json()["formats"] == ["openai_chat"]


def test_every_file_of_a_release_downloads_including_those_in_format_folders(api, curator, collection):
    release = api(curator).post(release_url(collection), {"formats": list(EXPORTERS)}, format="json").json()

    for entry in release["files"]:
        response = api(curator).get(f"{RELEASES}{release['id']}/files/{entry['name']}/")
        assert response.status_code == 200, entry["name"]
        assert response["X-Content-SHA256"] == entry["sha256"]


def test_release_answers_400_for_an_unknown_format_naming_the_valid_ones(api, curator, collection):
    response = api(curator).post(release_url(collection), {"formats": ["openai_chat", "xml"]}, format="json")

    assert response.status_code == 400
    message = response.json()["formats"][0]
    assert "'xml'" in message
    assert ", ".join(EXPORTERS) in message
    assert not Release.objects.exists()


@pytest.mark.parametrize("formats", [[], "openai_chat", ["x" * 41], ["openai\x00chat"], [None]])
def test_release_answers_400_for_formats_that_are_not_a_list_of_keys(api, curator, collection, formats):
    response = api(curator).post(release_url(collection), {"formats": formats}, format="json")

    assert response.status_code == 400
    assert "formats" in response.json()
    assert not Release.objects.exists()


def test_collection_keeps_default_formats_and_description(api, curator):
    response = api(curator).post(
        COLLECTIONS,
        {
            "slug": "sums",
            "name": "Sums",
            "tenant_id": "acme",
            "description": "Arithmetic.",
            "default_formats": ["sharegpt", "csv"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    collection = Collection.objects.get(slug="sums")
    assert (collection.default_formats, collection.description) == (["sharegpt", "csv"], "Arithmetic.")


@pytest.mark.parametrize("formats", [["yaml"], ["x" * 41], ["csv\x00"]])
def test_collection_refuses_unknown_default_formats(api, curator, formats):
    response = api(curator).post(
        COLLECTIONS, {"slug": "sums", "name": "Sums", "default_formats": formats}, format="json"
    )

    assert response.status_code == 400
    assert "default_formats" in response.json()
    assert not Collection.objects.filter(slug="sums").exists()


def test_collection_refuses_a_description_with_a_nul(api, curator):
    response = api(curator).post(
        COLLECTIONS, {"slug": "sums", "name": "Sums", "description": "bad\x00text"}, format="json"
    )

    assert response.status_code == 400
    assert not Collection.objects.filter(slug="sums").exists()


def test_collection_refuses_an_over_long_description(api, curator, settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = 20

    response = api(curator).post(COLLECTIONS, {"slug": "sums", "name": "Sums", "description": "x" * 21}, format="json")

    assert response.status_code == 400
    assert "at most 20" in response.json()["description"][0]
    assert not Collection.objects.filter(slug="sums").exists()


def test_a_release_written_before_format_folders_still_downloads_its_files(api, curator, collection, settings):
    release = Release.objects.get(pk=api(curator).post(release_url(collection)).json()["id"])
    directory = settings.MEDIA_ROOT / release.storage_path
    (directory / "openai_chat" / "train.jsonl").rename(directory / "train.jsonl")
    entry = next(entry for entry in release.files if entry["name"] == "openai_chat/train.jsonl")
    release.files = [{key: value for key, value in entry.items() if key != "format"} | {"name": "train.jsonl"}]
    Release.objects.filter(pk=release.pk).update(files=release.files)

    response = api(curator).get(f"{RELEASES}{release.pk}/files/train.jsonl/")

    assert response.status_code == 200
    assert response["X-Content-SHA256"] == entry["sha256"]
    assert response["Content-Disposition"] == 'attachment; filename="train.jsonl"'
