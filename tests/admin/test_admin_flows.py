"""What reviewers, approvers, operators and curators do in the admin, through its pages."""

import hashlib
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from collections_app.models import Membership, Release
from jobs_app.models import GenerationJob
from qa_app.models import QAPair
from qa_app.services import qa_pairs_review
from templates_app.models import TemplateVersion
from tests.factories import CollectionFactory, QAPairFactory


def action_url(obj, name):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_object_action", args=[obj.pk, name])


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def approver_client(client, approver):
    client.force_login(approver)
    return client


def test_publish_button_publishes_a_draft(approver_client, draft_version):
    response = approver_client.post(action_url(draft_version, "publish"), follow=True)

    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.APPROVED
    assert f"Published {draft_version}." in messages_of(response)


def test_publish_button_shows_the_refusal_and_keeps_the_draft(client, author, draft_version):
    author.user_permissions.add(*_permissions("publish_templateversion"))
    client.force_login(author)

    response = client.post(action_url(draft_version, "publish"), follow=True)

    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.DRAFT
    assert any("four-eyes" in message for message in messages_of(response))


def test_archive_button_archives_an_approved_version(approver_client, approved_version):
    approver_client.post(action_url(approved_version, "archive"))

    approved_version.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.ARCHIVED


def test_an_approved_version_cannot_be_edited_in_the_admin(client, superuser_factory, approved_version):
    client.force_login(superuser_factory())
    url = reverse("admin:templates_app_templateversion_change", args=[approved_version.pk])

    client.post(url, {"answer_template": "{{ a - b }}", "question_template": "changed"})

    approved_version.refresh_from_db()
    assert approved_version.answer_template == "{{ a + b }}"
    # What was sent becomes a new draft (tests/admin/test_draft_decided_while_edited.py).
    new_draft = TemplateVersion.objects.get(template=approved_version.template, status="draft")
    assert new_draft.answer_template == "{{ a - b }}"


def test_trigger_form_queues_a_job_that_runs_to_success(
    client, operator, approved_version, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    form = {
        "template_version": approved_version.pk,
        "record_count": 25,
        "seed": 9,
        "locale": "en",
        "tenant_id": "acme",
        "target_surface": "training",
        "production": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:jobs_app_generationjob_trigger"), form)

    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:jobs_app_generationjob_change", args=[job.pk])
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.processed_records == 25


def test_trigger_form_refuses_a_production_job_on_a_draft(client, operator, draft_version):
    client.force_login(operator)
    form = {
        "template_version": draft_version.pk,
        "record_count": 5,
        "seed": 0,
        "locale": "en",
        "tenant_id": "acme",
        "target_surface": "training",
        "production": "on",
    }

    response = client.post(reverse("admin:jobs_app_generationjob_trigger"), form, follow=True)

    assert not GenerationJob.objects.exists()
    assert any("production jobs need an approved version" in message for message in messages_of(response))


def test_job_page_shows_a_progress_bar(client, operator, approved_version, run_job):
    job = run_job(approved_version, record_count=10)
    client.force_login(operator)

    response = client.get(reverse("admin:jobs_app_generationjob_change", args=[job.pk]))

    assert b'<progress value="10" max="10">' in response.content


def test_cancel_button_cancels_a_pending_job(client, operator, approved_version):
    job = GenerationJob.objects.create(
        template_version=approved_version,
        chapter_key="arithmetic",
        tenant_id="acme",
        record_count=10,
        target_surface="training",
    )
    client.force_login(operator)

    client.post(action_url(job, "cancel"))

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.CANCELLED
    assert job.cancelled_by == operator


def test_reject_button_asks_for_a_reason_first(client, reviewer):
    pair = QAPairFactory()
    client.force_login(reviewer)

    response = client.post(action_url(pair, "reject"))

    assert response.status_code == 200
    assert b'name="reason"' in response.content
    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.PENDING


def test_reject_button_with_a_reason_rejects_the_pair(client, reviewer):
    pair = QAPairFactory()
    client.force_login(reviewer)

    client.post(action_url(pair, "reject"), {"apply": "1", "reason": "wrong arithmetic"})

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.REJECTED
    assert pair.review_reason == "wrong arithmetic"
    assert pair.reviewed_by == reviewer


def test_approve_button_approves_the_pair(client, reviewer):
    pair = QAPairFactory()
    client.force_login(reviewer)

    client.post(action_url(pair, "approve"))

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.APPROVED


def test_bulk_approve_action_approves_the_selected_pairs(client, reviewer):
    pairs = QAPairFactory.create_batch(3)
    client.force_login(reviewer)

    client.post(
        changelist_url(QAPair),
        {"action": "approve_selected", ACTION_CHECKBOX_NAME: [pair.pk for pair in pairs]},
    )

    assert QAPair.objects.filter(review_status=QAPair.ReviewStatus.APPROVED).count() == 3


def test_bulk_reject_action_without_a_reason_rejects_nothing(client, reviewer):
    pairs = QAPairFactory.create_batch(2)
    client.force_login(reviewer)

    response = client.post(
        changelist_url(QAPair),
        {"action": "reject_selected", ACTION_CHECKBOX_NAME: [pair.pk for pair in pairs], "apply": "1", "reason": ""},
    )

    assert response.status_code == 200
    assert QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING).count() == 2


def test_bulk_reject_action_with_a_reason_rejects_the_selected_pairs(client, reviewer):
    pairs = QAPairFactory.create_batch(2)
    client.force_login(reviewer)

    client.post(
        changelist_url(QAPair),
        {
            "action": "reject_selected",
            ACTION_CHECKBOX_NAME: [pair.pk for pair in pairs],
            "apply": "1",
            "reason": "off topic",
        },
    )

    assert QAPair.objects.filter(review_status=QAPair.ReviewStatus.REJECTED, review_reason="off topic").count() == 2


def test_add_to_collection_action_adds_with_split_and_weight(client, curator, reviewer):
    pairs = QAPairFactory.create_batch(2)
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    collection = CollectionFactory()
    client.force_login(curator)

    client.post(
        changelist_url(QAPair),
        {
            "action": "add_to_collection",
            ACTION_CHECKBOX_NAME: [pair.pk for pair in pairs],
            "apply": "1",
            "collection": collection.pk,
            "split": "test",
            "weight": "1.5",
        },
    )

    assert list(Membership.objects.values_list("split", "weight", "added_by")) == [("test", 1.5, curator.pk)] * 2


def test_add_to_collection_action_refuses_a_weight_of_zero(client, curator, reviewer):
    pair = QAPairFactory()
    qa_pairs_review(pairs=[pair], approve=True, acting_user=reviewer)
    collection = CollectionFactory()
    client.force_login(curator)

    response = client.post(
        changelist_url(QAPair),
        {
            "action": "add_to_collection",
            ACTION_CHECKBOX_NAME: [pair.pk],
            "apply": "1",
            "collection": collection.pk,
            "split": "",
            "weight": "0",
        },
    )

    assert b"Weight must be greater than 0" in response.content
    assert not Membership.objects.exists()


def test_release_button_releases_and_the_files_download_with_their_checksums(client, curator, reviewer):
    pairs = QAPairFactory.create_batch(4)
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    collection = CollectionFactory()
    Membership.objects.bulk_create(Membership(collection=collection, qa_pair=pair, split="train") for pair in pairs)
    client.force_login(curator)

    response = client.post(action_url(collection, "release"), {"apply": "1", "formats": ["openai_chat"]})

    release = Release.objects.get()
    assert response.url == reverse("admin:collections_app_release_change", args=[release.pk])
    page = client.get(response.url)
    assert b"train.jsonl" in page.content
    for entry in release.files:
        download = client.get(reverse("admin:collections_app_release_download", args=[release.pk, entry["name"]]))
        content = b"".join(download.streaming_content)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]


def test_release_button_refuses_a_collection_without_approved_pairs(client, curator):
    collection = CollectionFactory()
    Membership.objects.create(collection=collection, qa_pair=QAPairFactory(), split="train")
    client.force_login(curator)

    response = client.post(action_url(collection, "release"), {"apply": "1", "formats": ["openai_chat"]}, follow=True)

    assert not Release.objects.exists()
    assert any("no approved pairs" in message for message in messages_of(response))


def _permissions(*codenames):
    return Permission.objects.filter(codename__in=codenames)


def test_a_version_added_in_the_admin_gets_the_next_number_and_its_author(client, author, approved_version):
    client.force_login(author)
    form = {
        "template": approved_version.template.pk,
        "system_prompt": "",
        "prompt": "",
        "question_template": "What is {{ a }} plus {{ b }}, exactly?",
        "answer_template": "{{ a + b }}",
        "context_template": "",
        "variables": json.dumps(
            {"a": {"sampler": "int_range", "min": 1, "max": 5}, "b": {"sampler": "int_range", "min": 1, "max": 5}}
        ),
        "output_schema": "{}",
        "exemplars": "[]",
    }

    response = client.post(reverse("admin:templates_app_templateversion_add"), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    new = TemplateVersion.objects.get(template=approved_version.template, version=approved_version.version + 1)
    assert (new.status, new.author) == (TemplateVersion.Status.DRAFT, author)


def test_the_admin_form_refuses_an_unknown_sampler(client, author, approved_version):
    client.force_login(author)
    form = {
        "template": approved_version.template.pk,
        "question_template": "Q {{ a }}",
        "answer_template": "A",
        "variables": '{"a": {"sampler": "dice"}}',
        "output_schema": "{}",
        "exemplars": "[]",
    }

    response = client.post(reverse("admin:templates_app_templateversion_add"), form)

    assert response.status_code == 200
    assert (
        "variables: a: unknown sampler 'dice' (use one of 'choice', 'int_range', 'float_range', 'list', 'template', "
        "'exemplar', 'subchapter', 'gaussian', 'bernoulli', 'poisson', 'datetime', 'uuid', 'person', 'faker')"
        in response.context["adminform"].form.non_field_errors()
    )
    assert TemplateVersion.objects.count() == 1
