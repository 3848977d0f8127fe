"""Each event, announced by the real service that makes the change, reaches a subscribed receiver
signed so that the standardwebhooks library verifies it, with the payload its subscribers need."""

from datetime import timedelta

import pytest
from django.utils import timezone

from collections_app.models import Split
from collections_app.services import collection_add_pairs, collection_release
from jobs_app.models import GenerationJob
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import JobRequest, job_cancel, job_shards_resume_stale, job_trigger
from qa_app.models import QAPair
from qa_app.services.imports import ImportRequest, import_run_cancel, import_run_create, import_run_process
from templates_app.services import template_version_archive, template_version_new_draft, template_version_publish
from tests.factories import CollectionFactory, QAPairFactory
from webhooks_app.models import WebhookDelivery


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then what it queued after commit (q2 runs tasks inline in the tests)."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def the_one_payload(receiver, event: str) -> dict:
    payloads = [payload for payload in receiver.verified_payloads() if payload["type"] == event]
    assert len(payloads) == 1, receiver.events()
    return payloads[0]


def test_a_published_template_version_is_delivered_signed_to_a_subscribed_endpoint(
    receiver, subscribe, draft_version, approver, committed
):
    endpoint = subscribe("template_version.published")

    with committed():
        template_version_publish(version=draft_version, acting_user=approver)

    [request] = receiver.received
    assert request.verified
    data = request.payload["data"]
    assert request.payload["type"] == "template_version.published"
    assert data["id"] == draft_version.pk
    assert data["url"] == f"/api/v1/template-versions/{draft_version.pk}/"
    assert data["template"] == draft_version.template.key
    assert data["version"] == draft_version.version
    assert data["status"] == "approved"
    assert data["published_by"] == approver.username
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert list(delivery.attempt_log.values_list("number", "status_code")) == [(1, 200)]


def test_the_api_url_is_absolute_when_the_public_url_is_set(
    receiver, subscribe, draft_version, approver, committed, settings
):
    settings.SYNTHGOV_PUBLIC_URL = "https://synthgov.example.org/"
    subscribe("template_version.published")

    with committed():
        template_version_publish(version=draft_version, acting_user=approver)

    data = the_one_payload(receiver, "template_version.published")["data"]
    assert data["url"] == f"https://synthgov.example.org/api/v1/template-versions/{draft_version.pk}/"


def test_archiving_a_version_is_delivered_with_its_reason(receiver, subscribe, approved_version, approver, committed):
    subscribe("template_version.archived")

    with committed():
        template_version_archive(version=approved_version, acting_user=approver, reason="superseded by v2")

    data = the_one_payload(receiver, "template_version.archived")["data"]
    assert (data["id"], data["status"], data["reason"]) == (approved_version.pk, "archived", "superseded by v2")


def test_publishing_a_new_version_announces_the_archive_of_the_previous_one(
    receiver, subscribe, approved_version, author, approver, committed
):
    subscribe("template_version.archived")
    draft = template_version_new_draft(version=approved_version, acting_user=author)

    with committed():
        template_version_publish(version=draft, acting_user=approver)

    data = the_one_payload(receiver, "template_version.archived")["data"]
    assert data["id"] == approved_version.pk
    assert data["reason"] == f"version {draft.version} was published"


def test_an_endpoint_receives_only_the_events_it_subscribes_to(receiver, subscribe, draft_version, approver, committed):
    subscribe("job.succeeded")

    with committed():
        template_version_publish(version=draft_version, acting_user=approver)

    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_succeeded_job_is_delivered_with_its_counts_and_manifest_summary(
    receiver, subscribe, approved_version, run_job
):
    subscribe("job.succeeded", "job.failed", "job.cancelled")

    job = run_job(approved_version, record_count=20)

    assert job.status == GenerationJob.Status.SUCCEEDED
    payload = the_one_payload(receiver, "job.succeeded")
    data = payload["data"]
    assert payload["tenant_id"] == "acme"
    assert (data["object"], data["id"], data["url"]) == ("job", job.pk, f"/api/v1/jobs/{job.pk}/")
    assert data["counts"] == {
        "record_count": 20,
        "processed": 20,
        "accepted": job.accepted_records,
        "rejected": job.rejected_records,
        "duplicates": job.duplicate_records,
    }
    assert data["manifest"]["accepted_ids_sha256"] == job.output_manifest["accepted_ids_sha256"]
    assert data["manifest"]["template_content_sha256"] == approved_version.content_sha256
    assert receiver.events() == ["job.succeeded"]


def test_a_job_of_several_shards_announces_its_success_once(receiver, subscribe, approved_version, run_job, settings):
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 7
    subscribe("job.succeeded")

    job = run_job(approved_version, record_count=20)

    assert job.shards.count() == 3
    assert receiver.events() == ["job.succeeded"]


def test_a_failed_job_is_delivered_with_its_error(receiver, subscribe, approved_version, run_job, monkeypatch):
    subscribe("job.failed")

    def broken(self, start, stop, prepared=None):
        raise RuntimeError("the generator backend broke")

    monkeypatch.setattr(BatchProcessor, "process", broken)
    job = run_job(approved_version, record_count=5)

    assert job.status == GenerationJob.Status.FAILED
    data = the_one_payload(receiver, "job.failed")["data"]
    assert (data["id"], data["status"]) == (job.pk, "failed")
    assert data["error"] == "RuntimeError: the generator backend broke"


def test_a_cancelled_job_is_delivered_with_who_cancelled_it(receiver, subscribe, approved_version, operator, committed):
    subscribe("job.cancelled")
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=5, target_surface="training"
        ),
        acting_user=operator,
    )

    with committed():
        job_cancel(job=job, acting_user=operator, reason="wrong template")

    data = the_one_payload(receiver, "job.cancelled")["data"]
    assert (data["id"], data["status"], data["cancelled_by"]) == (job.pk, "cancelled", operator.username)


def test_a_job_whose_shard_the_stale_sweep_resumes_is_announced_when_it_succeeds(
    receiver, subscribe, approved_version, operator, committed
):
    subscribe("job.succeeded")
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=5, target_surface="training"
        ),
        acting_user=operator,
    )
    # Its queued task was lost with its worker: never started, created long ago.
    GenerationJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))

    with committed():
        assert job_shards_resume_stale()

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert the_one_payload(receiver, "job.succeeded")["data"]["id"] == job.pk


def test_a_tenant_endpoint_receives_its_tenants_jobs_and_shared_events_only(
    receiver, subscribe, draft_version, approver, run_job, committed
):
    endpoint = subscribe("job.succeeded", "template_version.published", tenant_id="globex")

    with committed():
        version = template_version_publish(version=draft_version, acting_user=approver)
    run_job(version, tenant_id="acme", record_count=3)
    run_job(version, tenant_id="globex", record_count=3, seed=2)

    assert receiver.events() == ["template_version.published", "job.succeeded"]
    assert the_one_payload(receiver, "job.succeeded")["tenant_id"] == "globex"
    assert endpoint.deliveries.count() == 2


def test_a_published_release_is_delivered_with_its_files_sha256_and_rows(receiver, subscribe, curator, committed):
    subscribe("release.published")
    collection = CollectionFactory(slug="maths", tenant_id="acme")
    pairs = QAPairFactory.create_batch(3, review_status=QAPair.ReviewStatus.APPROVED, tenant_id="acme")
    collection_add_pairs(collection=collection, pairs=pairs, split=Split.TRAIN, weight=1.0, acting_user=curator)

    with committed():
        release = collection_release(collection=collection, acting_user=curator, formats=["openai_chat"])

    payload = the_one_payload(receiver, "release.published")
    data = payload["data"]
    assert payload["tenant_id"] == "acme"
    assert (data["id"], data["collection"], data["version"], data["rows"]) == (release.pk, "maths", 1, 3)
    assert data["url"] == f"/api/v1/releases/{release.pk}/"
    by_name = {entry["name"]: entry for entry in data["files"]}
    assert {name: entry["sha256"] for name, entry in by_name.items()} == {
        entry["name"]: entry["sha256"] for entry in release.files
    }
    assert by_name["openai_chat/train.jsonl"]["rows"] == 3
    assert by_name["openai_chat/train.jsonl"]["url"] == f"/api/v1/releases/{release.pk}/files/openai_chat/train.jsonl/"


@pytest.fixture
def import_file(settings, tmp_path):
    directory = tmp_path / "imports"
    directory.mkdir()
    settings.SYNTHGOV_IMPORT_DIR = directory
    path = directory / "pairs.jsonl"
    path.write_text(
        '{"question": "What is the capital of France?", "answer": "Paris is the capital of France."}\n'
        '{"question": "How many legs has a spider?", "answer": "A spider has eight legs."}\n'
        "not json\n"
    )
    return path


def test_a_finished_import_is_delivered_with_its_counts(receiver, subscribe, curator, import_file, committed):
    subscribe("import.finished")
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme", locale="en"), acting_user=curator, path=import_file.name, enqueue=False
    )

    with committed():
        run = import_run_process(run_id=run.pk)

    payload = the_one_payload(receiver, "import.finished")
    data = payload["data"]
    assert (data["id"], data["status"], data["url"]) == (run.pk, "succeeded", f"/api/v1/imports/{run.pk}/")
    assert data["counts"] == {"lines": 3, "imported": 2, "duplicates": 0, "errors": 1}
    assert payload["tenant_id"] == "acme"


def test_a_cancelled_import_is_announced_as_finished_with_its_status(
    receiver, subscribe, curator, import_file, committed
):
    subscribe("import.finished")
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme", locale="en"), acting_user=curator, path=import_file.name, enqueue=False
    )

    with committed():
        import_run_cancel(run=run, acting_user=curator)

    assert the_one_payload(receiver, "import.finished")["data"]["status"] == "cancelled"
