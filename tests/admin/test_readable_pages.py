"""Admin pages a person can read: JSON as key/value blocks, links to what a job made, one name per
release file, breadcrumbs that do not repeat themselves, and field errors beside the field."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from collections_app.models import Membership, Release
from collections_app.services import collection_release
from qa_app.services import qa_pairs_review
from tests.factories import CollectionFactory, QAPairFactory, TemplateVersionFactory


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@pytest.fixture
def finished_job(approved_version, run_job):
    job = run_job(approved_version, record_count=12)
    assert job.accepted_records > 0
    return job


def test_a_jobs_lineage_and_manifest_are_key_value_tables(admin_client, finished_job):
    page = admin_client.get(change_url(finished_job)).content.decode()

    assert page.count('<table class="synthgov-kv">') >= 2
    assert f"<tr><th>template</th><td>{finished_job.template_version.template.key}</td></tr>" in page
    assert '{"template":' not in page


def test_nested_json_is_indented(admin_client, finished_job):
    page = admin_client.get(change_url(finished_job)).content.decode()

    assert '<pre class="synthgov-json">{\n  &quot;variables&quot;: {' in page


def test_a_pairs_lineage_is_a_key_value_table(admin_client, finished_job):
    pair = finished_job.qa_pairs.first()

    page = admin_client.get(change_url(pair)).content.decode()

    assert f"<tr><th>seed</th><td>{pair.lineage['seed']}</td></tr>" in page


def test_an_approved_versions_variables_are_readable_and_a_drafts_are_indented_for_editing(
    admin_client, approved_version
):
    approved_page = admin_client.get(change_url(approved_version)).content.decode()
    draft = TemplateVersionFactory()
    draft_page = admin_client.get(change_url(draft)).content.decode()

    assert '<table class="synthgov-kv"><tbody><tr><th>a</th>' in approved_page
    # Indented one key per line (PostgreSQL's jsonb may order the keys differently).
    assert "{\n  &quot;a&quot;: {\n    &quot;" in draft_page
    assert "\n    &quot;sampler&quot;: &quot;int_range&quot;" in draft_page


def test_the_job_page_links_to_its_pairs(admin_client, finished_job):
    page = admin_client.get(change_url(finished_job)).content.decode()
    pairs_url = reverse("admin:qa_app_qapair_changelist") + f"?job__id__exact={finished_job.pk}"

    assert f'<a href="{pairs_url}">{finished_job.accepted_records} QA pair(s)</a>' in page
    listed = admin_client.get(pairs_url)
    assert listed.context["cl"].result_count == finished_job.accepted_records


def test_release_files_download_under_the_name_the_manifest_gives_them(admin_client, curator, reviewer):
    pairs = QAPairFactory.create_batch(3)
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    collection = CollectionFactory()
    Membership.objects.bulk_create(Membership(collection=collection, qa_pair=pair, split="train") for pair in pairs)
    release = collection_release(collection=collection, acting_user=curator)

    page = admin_client.get(change_url(release)).content.decode()
    names = [entry["name"] for entry in release.files]

    assert "manifest.json" in names
    assert "— rows" not in page
    assert "manifest.json</a> — the manifest (counts and checksums)" in page
    assert "openai_chat/train.jsonl</a> — OpenAI chat JSONL (messages), 3 rows" in page
    for name in names:
        download = admin_client.get(reverse("admin:collections_app_release_download", args=[release.pk, name]))
        assert download["Content-Disposition"] == f'attachment; filename="{name.replace("/", "-")}"'
    assert Release.objects.count() == 1


def test_no_breadcrumb_repeats_its_app_name_as_the_model_name():
    repeated = [
        model._meta.label
        for model in admin.site._registry
        if apps.get_app_config(model._meta.app_label).verbose_name.lower() == model._meta.verbose_name_plural.lower()
    ]

    assert repeated == []


def test_a_refused_trigger_field_shows_beside_the_field_with_its_human_name(client, operator, approved_version):
    client.force_login(operator)

    response = client.post(
        reverse("admin:jobs_app_generationjob_trigger"),
        {
            "template_version": approved_version.pk,
            "record_count": 10**9,
            "seed": 0,
            "locale": "en",
            "tenant_id": "acme",
            "target_surface": "training",
            "production": "on",
            "generator": "template",
        },
    )

    form = response.context["form"]
    assert form.errors["record_count"][0].startswith("Record count (record_count) must be between 1 and")
    assert form["tenant_id"].value() == "acme"
