"""/api/v1/imports/: multipart upload or server-side path, progress, line issues, cancel, refusals."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from qa_app.models import ImportRun, QAPair

LINES = (
    json.dumps({"question": "What is the largest ocean?", "answer": "The Pacific Ocean is the largest."})
    + "\n{broken\n"
)


@pytest.fixture
def post_import(api, django_capture_on_commit_callbacks):
    """POST an import as `user`; the queued task runs (inline, as q2 is sync in tests) after commit."""

    def post(user, body, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return api(user).post("/api/v1/imports/", body, **kwargs)

    return post


@pytest.fixture
def import_dir(settings, tmp_path):
    directory = tmp_path / "imports"
    directory.mkdir()
    settings.SYNTHGOV_IMPORT_DIR = directory
    (directory / "oceans.jsonl").write_text(LINES)
    return directory


def test_an_uploaded_file_is_imported_and_its_run_reported(api, post_import, curator):
    upload = SimpleUploadedFile("oceans.jsonl", LINES.encode())

    response = post_import(curator, {"file": upload, "tenant_id": "acme", "locale": "en"})

    assert response.status_code == 201, response.json()
    body = response.json()
    run = api(curator).get(f"/api/v1/imports/{body['id']}/").json()
    assert (run["status"], run["imported"], run["errors"], run["file_name"]) == ("succeeded", 1, 1, "oceans.jsonl")
    assert QAPair.objects.get(import_run_id=body["id"]).source == "imported"


def test_a_server_side_path_under_the_import_directory_is_imported(api, curator, import_dir):
    response = api(curator).post("/api/v1/imports/", {"path": "oceans.jsonl", "tenant_id": "acme"}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["file_name"] == "oceans.jsonl"


def test_a_path_outside_the_import_directory_is_a_400_and_nothing_is_stored(api, curator, import_dir):
    response = api(curator).post("/api/v1/imports/", {"path": "../../etc/passwd", "tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert "outside the import directory" in json.dumps(response.json())
    assert not ImportRun.objects.exists()


def test_the_line_issues_of_a_run_are_listed_by_line(api, post_import, curator, import_dir):
    run_id = post_import(curator, {"path": "oceans.jsonl", "tenant_id": "acme"}, format="json").json()["id"]

    response = api(curator).get(f"/api/v1/imports/{run_id}/lines/")

    assert response.status_code == 200
    (issue,) = response.json()["results"]
    assert (issue["line"], issue["kind"]) == (2, "error")
    assert issue["raw"] == "{broken\n"


def test_the_same_file_and_key_answer_200_with_the_earlier_run(api, curator, import_dir):
    body = {"path": "oceans.jsonl", "tenant_id": "acme", "idempotency_key": "k1"}
    first = api(curator).post("/api/v1/imports/", body, format="json")

    again = api(curator).post("/api/v1/imports/", body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_a_finished_run_cannot_be_cancelled(api, post_import, curator, import_dir):
    run_id = post_import(curator, {"path": "oceans.jsonl", "tenant_id": "acme"}, format="json")

    response = api(curator).post(f"/api/v1/imports/{run_id.json()['id']}/cancel/")

    assert response.status_code == 409
    assert "already succeeded" in response.json()["detail"]


def test_importing_without_the_permission_is_a_403(api, reviewer, import_dir):
    reviewer.user_permissions.add(*_view_importrun())

    response = api(reviewer).post("/api/v1/imports/", {"path": "oceans.jsonl", "tenant_id": "acme"}, format="json")

    assert response.status_code == 403
    assert "qa_app.add_importrun" in response.json()["detail"]


def _view_importrun():
    return Permission.objects.filter(codename="view_importrun")


def test_neither_file_nor_path_is_a_400(api, curator):
    response = api(curator).post("/api/v1/imports/", {"tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert "either a file" in json.dumps(response.json())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses NUL and over-long text")
@pytest.mark.parametrize(("field", "value"), [("tenant_id", "t" * 101), ("chapter_key", "a\x00b")])
def test_over_long_or_nul_fields_are_a_400(api, curator, import_dir, field, value):
    body = {"path": "oceans.jsonl", "tenant_id": "acme", field: value}

    response = api(curator).post("/api/v1/imports/", body, format="json")

    assert response.status_code == 400
    assert field in json.dumps(response.json()) or "NUL" in json.dumps(response.json())
    assert not ImportRun.objects.exists()


def test_a_refused_upload_leaves_no_file_behind(api, curator, settings):
    upload = SimpleUploadedFile("odd.jsonl", b'{"prompt": "P", "completion": "C"}\n')

    response = api(curator).post("/api/v1/imports/", {"file": upload, "tenant_id": "acme"})

    assert response.status_code == 400
    assert "give a mapping" in json.dumps(response.json())
    uploads = settings.MEDIA_ROOT / "imports"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not ImportRun.objects.exists()
