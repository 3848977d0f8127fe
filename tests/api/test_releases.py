"""releases: manifest, released items, and file downloads with their checksum."""

import base64
import hashlib

import pytest

from collections_app.services import collection_add_pairs, collection_release
from tests.factories import CollectionFactory

RELEASES = "/api/v1/releases/"


@pytest.fixture
def release(curator, approved_pairs):
    collection = CollectionFactory(slug="maths")
    collection_add_pairs(collection=collection, pairs=approved_pairs(3), split="train", acting_user=curator)
    return collection_release(collection=collection, acting_user=curator)


def file_url(release, name: str) -> str:
    return f"{RELEASES}{release.pk}/files/{name}/"


def test_retrieve_shows_the_manifest_and_files(api, api_client_user, release):
    response = api(api_client_user).get(f"{RELEASES}{release.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["collection_slug"] == "maths"
    assert body["manifest"]["rows"] == 3
    assert {entry["name"] for entry in body["files"]} == {"openai_chat/train.jsonl", "README.md", "manifest.json"}


def test_items_lists_the_released_pairs_page_by_page(api, curator, release):
    client = api(curator)

    first = client.get(f"{RELEASES}{release.pk}/items/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"] + second["results"]) == 3
    assert {row["split"] for row in first["results"]} == {"train"}


def test_download_streams_the_file_with_its_sha256(api, api_client_user, release):
    response = api(api_client_user).get(file_url(release, "openai_chat/train.jsonl"))

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    digest = hashlib.sha256(content).hexdigest()
    assert response["X-Content-SHA256"] == digest
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    assert response["Content-Disposition"] == 'attachment; filename="openai_chat-train.jsonl"'
    assert len(content.splitlines()) == 3


def test_download_serves_clients_that_ask_for_octet_streams(api, api_client_user, release):
    response = api(api_client_user).get(file_url(release, "manifest.json"), HTTP_ACCEPT="application/octet-stream")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "test.jsonl",
        "train.jsonl",
        "openai_chat/test.jsonl",
        "openai_chat/../manifest.json",
        "openai_chat/%2E%2E/manifest.json",
        "../../secret_key",
        "..%2F..%2Fsecret_key",
        "%2E%2E",
        "..",
        "/etc/passwd",
        "manifest.json%00",
    ],
)
def test_download_of_a_name_the_release_did_not_write_answers_404(api, api_client_user, release, name):
    response = api(api_client_user).get(file_url(release, name))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_download_of_a_file_missing_from_storage_answers_404_saying_so(api, api_client_user, release, settings):
    (settings.MEDIA_ROOT / release.storage_path / "openai_chat" / "train.jsonl").unlink()

    response = api(api_client_user).get(file_url(release, "openai_chat/train.jsonl"))

    assert response.status_code == 404
    assert "missing from storage" in response.json()["detail"]


def test_releases_need_the_view_permission(api, reviewer, release):
    assert api(reviewer).get(f"{RELEASES}{release.pk}/").status_code == 403


def test_an_unknown_release_answers_404(api, api_client_user):
    assert api(api_client_user).get(f"{RELEASES}999999/").status_code == 404
