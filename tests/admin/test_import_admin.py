"""The import pages of the admin: upload, the run with its progress JSON, line issues, cancel."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from qa_app.models import ImportRun, QAPair
from qa_app.services.imports import ImportRequest, import_run_create

LINES = json.dumps({"question": "Which planet is red?", "answer": "Mars is the red planet."}) + "\n{oops\n"


@pytest.fixture
def logged_in():
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


def upload(client, **fields):
    form = {
        "file": SimpleUploadedFile("planets.jsonl", LINES.encode()),
        "tenant_id": "acme",
        "locale": "en",
        "apply": "1",
        **fields,
    }
    return client.post(reverse("admin:qa_app_importrun_add"), form)


def test_a_curator_uploads_a_file_and_lands_on_its_run(logged_in, curator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(logged_in(curator))

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:qa_app_importrun_change", args=[run.pk])
    page = logged_in(curator).get(response["Location"])
    assert page.status_code == 200
    assert "1 imported pair(s)" in page.content.decode()
    assert QAPair.objects.filter(import_run=run).count() == 1


def test_approving_on_import_is_offered_only_to_who_may(logged_in, curator, make_user):
    lead = make_user("lead", "Curators", "Approvers")

    assert "id_approve" not in logged_in(curator).get(reverse("admin:qa_app_importrun_add")).content.decode()
    assert "id_approve" in logged_in(lead).get(reverse("admin:qa_app_importrun_add")).content.decode()


def test_a_refused_upload_shows_the_reason_on_the_form_and_stores_nothing(logged_in, make_user):
    lead = make_user("lead", "Curators", "Approvers")

    response = upload(logged_in(lead), approve="on", approval_reason="")

    assert response.status_code == 200
    assert "needs a reason" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_import_page_is_offered_only_to_who_may_import(logged_in, reviewer, curator):
    assert logged_in(reviewer).get(reverse("admin:qa_app_importrun_add")).status_code == 403
    assert logged_in(curator).get(reverse("admin:qa_app_importrun_add")).status_code == 200


def test_the_progress_json_moves_the_bar(logged_in, curator, tmp_path):
    path = tmp_path / "planets.jsonl"
    path.write_text(LINES)
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme"), acting_user=curator, command_line_file=path, enqueue=False
    )

    data = logged_in(curator).get(reverse("admin:qa_app_importrun_progress", args=[run.pk])).json()

    assert (data["finished"], data["processed"], data["total"]) == (False, 0, 2)
    assert data["fields"]["status"] == "Pending"


def test_the_line_issues_of_a_run_are_listed(logged_in, curator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(logged_in(curator))
    run = ImportRun.objects.get()

    page = logged_in(curator).get(reverse("admin:qa_app_importlineissue_changelist") + f"?run__id__exact={run.pk}")

    assert page.status_code == 200
    assert "bad JSON" in page.content.decode()
