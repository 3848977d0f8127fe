"""A real `manage.py qcluster` runs a job and, after the job's commit, delivers job.succeeded to a
receiver on 127.0.0.1 that verifies the signature with the standardwebhooks library."""

import time

import pytest
from django_q.models import Schedule

from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_trigger
from webhooks_app.models import WebhookDelivery
from webhooks_app.schedules import ensure_webhook_sweep

WAIT_SECONDS = 120


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_cluster_delivers_a_finished_jobs_event_signed(
    approved_version, operator, subscribe, receiver, start_qcluster
):
    # Rows made by migrations are gone after earlier transactional tests flushed the database.
    ensure_webhook_sweep(Schedule)
    endpoint = subscribe("job.succeeded")
    cluster = start_qcluster(SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK="1")
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=30, target_surface="training"
        ),
        acting_user=operator,
    )

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and not receiver.received:
        if cluster.process.poll() is not None:
            break
        time.sleep(0.2)

    assert receiver.received, f"nothing was delivered; qcluster:\n{cluster.output()}"
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    [request] = receiver.received
    assert request.verified
    assert (request.payload["type"], request.payload["data"]["id"]) == ("job.succeeded", job.pk)
    assert request.payload["data"]["counts"]["accepted"] == job.accepted_records
    while time.monotonic() < deadline and not WebhookDelivery.objects.filter(status="succeeded").exists():
        time.sleep(0.2)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [200]
