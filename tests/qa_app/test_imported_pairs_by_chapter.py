"""Imported pairs are found by the chapter and subchapter filters (issue 13) wherever those filters
are offered: the API's qa-pairs list, the admin changelist, the review queue, and the taxonomy's
pair counts. The chapter comes from the import (the run's, or a line's chapter field) and is kept
in the pair's `chapter_key` / `subchapter_key` (qa_app.models.QAPairQuerySet)."""

import json

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from rest_framework.test import APIClient

from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from qa_app.selectors import qa_pair_count
from qa_app.services.imports import ImportRequest, import_run_create, import_run_process
from tests.factories import (
    ChapterFactory,
    PromptTemplateFactory,
    QAPairFactory,
    SubchapterFactory,
    TemplateVersionFactory,
)

PAIRS = "/api/v1/qa-pairs/"
CHANGELIST = "/admin/qa_app/qapair/"
QUEUE_URL = reverse("admin:qa_app_qapair_review_queue")
LINES = [
    {"question": "What is the capital of France?", "answer": "Paris is the capital of France.", "topic": "capitals"},
    {"question": "When did the Roman Empire fall?", "answer": "The Western Empire fell in 476.", "topic": "history"},
]


@pytest.fixture
def taxonomy(db):
    geography = ChapterFactory(key="geography", title="Geography")
    capitals = SubchapterFactory(chapter=geography, key="capitals", title="Capitals")
    history = ChapterFactory(key="history", title="History")
    return {"geography": geography, "capitals": capitals, "history": history}


@pytest.fixture
def imported(taxonomy, curator, settings, tmp_path):
    """Two imported pairs: `capital` in geography/capitals, `rome` in history (from a chapter field)."""
    settings.SYNTHGOV_IMPORT_DIR = tmp_path
    records = [{**LINES[0], "topic": "geography/capitals"}, LINES[1]]
    (tmp_path / "mixed.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    request = ImportRequest(tenant_id="acme", locale="en", chapter_field="topic")
    run, _ = import_run_create(request=request, acting_user=curator, path="mixed.jsonl", enqueue=False)
    import_run_process(run_id=run.pk)
    capital, rome = QAPair.objects.filter(import_run=run).order_by("record_index")
    return {"capital": capital, "rome": rome, **taxonomy}


@pytest.fixture
def reviewer_api(reviewer):
    client = APIClient()
    client.force_authenticate(reviewer)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def api_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def changelist_ids(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [pair.pk for pair in response.context["cl"].result_list]


def queue_ids(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [row.pk for row in response.context["rows"]]


def test_an_imported_pair_keeps_its_lines_chapter_and_subchapter_in_columns(imported):
    capital, rome = imported["capital"], imported["rome"]

    assert (capital.chapter_key, capital.subchapter_key, rome.chapter_key, rome.subchapter_key) == (
        "geography",
        "capitals",
        "history",
        "",
    )


def test_the_api_list_finds_an_imported_pair_by_its_chapter(reviewer_api, imported):
    assert api_ids(reviewer_api.get(PAIRS, {"chapter": imported["geography"].pk})) == [imported["capital"].pk]


def test_the_api_list_finds_an_imported_pair_by_its_subchapter(reviewer_api, imported):
    assert api_ids(reviewer_api.get(PAIRS, {"subchapter": imported["capitals"].pk})) == [imported["capital"].pk]


def test_the_api_list_shows_an_imported_pairs_chapter_and_subchapter(reviewer_api, imported):
    row = reviewer_api.get(f"{PAIRS}{imported['capital'].pk}/").json()

    assert (row["chapter_key"], row["subchapter_key"]) == ("geography", "capitals")


def test_the_changelist_chapter_filter_finds_an_imported_pair(reviewer_client, imported):
    response = reviewer_client.get(CHANGELIST, {"chapter": imported["history"].pk})

    assert changelist_ids(response) == [imported["rome"].pk]


def test_the_changelist_subchapter_filter_finds_an_imported_pair(reviewer_client, imported):
    response = reviewer_client.get(CHANGELIST, {"subchapter": imported["capitals"].pk})

    assert changelist_ids(response) == [imported["capital"].pk]


def test_the_review_queue_finds_an_imported_pair_by_its_chapter(reviewer_client, imported):
    response = reviewer_client.get(QUEUE_URL, {"chapter": imported["geography"].pk})

    assert queue_ids(response) == [imported["capital"].pk]


def test_the_review_queue_finds_an_imported_pair_by_its_subchapter(reviewer_client, imported):
    response = reviewer_client.get(QUEUE_URL, {"subchapter": imported["capitals"].pk})

    assert queue_ids(response) == [imported["capital"].pk]


def test_the_taxonomy_pair_counts_include_imported_pairs(imported):
    QAPairFactory(source=QAPair.Source.OPERATOR)
    counts = (
        qa_pair_count(chapter=imported["geography"]),
        qa_pair_count(subchapter=imported["capitals"]),
        qa_pair_count(chapter=imported["history"]),
    )

    assert counts == (1, 1, 1)


def test_the_chapter_filter_finds_imported_and_generated_pairs_of_the_chapter_together(reviewer_api, imported):
    generated = QAPairFactory(
        template_version=TemplateVersionFactory(template=PromptTemplateFactory(chapter=imported["history"]))
    )

    found = api_ids(reviewer_api.get(PAIRS, {"chapter": imported["history"].pk}))

    assert sorted(found) == sorted([imported["rome"].pk, generated.pk])


def test_a_runs_chapter_and_subchapter_reach_every_pair_it_imports(curator, taxonomy, settings, tmp_path):
    settings.SYNTHGOV_IMPORT_DIR = tmp_path
    (tmp_path / "plain.jsonl").write_text(json.dumps(LINES[0]) + "\n")
    request = ImportRequest(tenant_id="acme", locale="en", chapter_key="geography", subchapter_key="capitals")
    run, _ = import_run_create(request=request, acting_user=curator, path="plain.jsonl", enqueue=False)
    import_run_process(run_id=run.pk)

    assert list(QAPair.objects.in_subchapter("geography", "capitals").values_list("import_run", flat=True)) == [run.pk]


def test_the_migration_fills_stored_pairs_from_their_lineage_else_their_template(taxonomy):
    fill = __import__("qa_app.migrations.0014_taxonomy_keys", fromlist=["fill_taxonomy_keys"]).fill_taxonomy_keys
    imported = QAPairFactory(source=QAPair.Source.IMPORTED, lineage={"chapter": "history"})
    version = TemplateVersionFactory(
        template=PromptTemplateFactory(chapter=taxonomy["geography"], subchapter=taxonomy["capitals"])
    )
    by_hand = QAPairFactory(template_version=version)
    operator = QAPairFactory()
    QAPair.objects.update(chapter_key="", subchapter_key="")

    fill(django_apps, None)

    keys = dict(QAPair.objects.values_list("pk", "chapter_key"))
    subkeys = dict(QAPair.objects.values_list("pk", "subchapter_key"))
    assert (keys[imported.pk], keys[by_hand.pk], subkeys[by_hand.pk], keys[operator.pk]) == (
        "history",
        "geography",
        "capitals",
        "",
    )


def test_the_migration_fills_a_jobs_pair_without_chapter_in_its_lineage_from_its_job(approved_version, operator):
    fill = __import__("qa_app.migrations.0014_taxonomy_keys", fromlist=["fill_taxonomy_keys"]).fill_taxonomy_keys
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=1, target_surface="training"
        ),
        acting_user=operator,
    )
    pair = QAPairFactory(job=job, record_index=0)
    QAPair.objects.update(chapter_key="", subchapter_key="")

    fill(django_apps, None)

    assert QAPair.objects.values_list("chapter_key", "subchapter_key").get(pk=pair.pk) == (
        job.chapter_key,
        job.subchapter_key,
    )


def test_a_jobs_pairs_are_written_with_its_chapter_and_subchapter(approved_version, run_job):
    job = run_job(approved_version, record_count=3)

    keys = set(QAPair.objects.filter(job=job).values_list("chapter_key", "subchapter_key"))

    assert keys == {(job.chapter_key, job.subchapter_key)} != {("", "")}
