"""Real `manage.py qcluster` processes run queued jobs through the ORM broker, and survive a SIGKILL."""

import time

import pytest
from django.db.models import Count
from django_q.models import Schedule

from jobs_app.models import GenerationJob, JobShard
from jobs_app.schedules import ensure_stale_shard_sweep
from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from tests.qcluster import Cluster

WAIT_SECONDS = 120


def wait_for(job: GenerationJob, cluster: Cluster, condition, what: str) -> GenerationJob:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if condition(job):
            return job
        if cluster.process.poll() is not None:
            break
        time.sleep(0.2)
    state = f"{job.status} ({job.processed_records} done)"
    pytest.fail(f"job {job.pk} is {state}, not {what}; qcluster:\n{cluster.output()}")


def trigger(version, user, record_count: int) -> GenerationJob:
    job, _ = job_trigger(
        request=JobRequest(
            template_version=version, tenant_id="acme", record_count=record_count, target_surface="training", seed=3
        ),
        acting_user=user,
    )
    return job


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_runs_a_queued_job_to_success(approved_version, operator, start_qcluster):
    cluster = start_qcluster()
    job = trigger(approved_version, operator, 1200)

    job = wait_for(job, cluster, lambda job: job.is_finished, "finished")

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.processed_records == 1200
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 1200
    assert QAPair.objects.filter(job=job).count() == job.accepted_records > 1100


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_job_survives_its_cluster_being_killed_and_ends_with_one_outcome_per_record(
    approved_version, operator, start_qcluster
):
    # Rows made by migrations are gone after earlier transactional tests flushed the database.
    ensure_stale_shard_sweep(Schedule)
    record_count = 6000
    first = start_qcluster(SYNTHGOV_GENERATION_SHARD_SIZE="2000", SYNTHGOV_GENERATION_BATCH_SIZE="100")
    job = trigger(approved_version, operator, record_count)
    wait_for(job, first, lambda job: job.processed_records >= 500, "under way")

    first.kill()

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    assert job.processed_records < record_count
    # The new cluster's scheduler (its first run comes about 30 s after it starts) sweeps the silent shards.
    second = start_qcluster(
        SYNTHGOV_GENERATION_SHARD_SIZE="2000",
        SYNTHGOV_GENERATION_BATCH_SIZE="100",
        SYNTHGOV_SHARD_STALE_SECONDS="2",
        # The system check wants the stale limit above the longest batch (a batch of 100 takes well under 1 s).
        SYNTHGOV_BATCH_MAX_SECONDS="1",
    )
    job = wait_for(job, second, lambda job: job.is_finished, "finished after the restart")

    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    outcomes = job.accepted_records + job.rejected_records + job.duplicate_records
    assert outcomes == job.processed_records == record_count
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    assert not QAPair.objects.filter(job=job).values("record_index").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(job.shards.values_list("status", flat=True)) == {JobShard.Status.DONE}
    assert job.shards.filter(attempts__gt=1).exists()
