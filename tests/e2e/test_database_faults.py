"""A real cluster whose PostgreSQL connections are cut (what a restart or failover does), mid-job and
between tasks: the job still succeeds with exactly one outcome per record. PostgreSQL only."""

import pytest
from django.db import connection
from django.db.models import Count
from django_q.models import Schedule

from jobs_app.models import GenerationJob
from jobs_app.schedules import ensure_stale_shard_sweep
from qa_app.models import QAPair
from tests.database_urls import database_url
from tests.e2e.test_qcluster import trigger, wait_for

CLUSTER_APPLICATION = "synthgov-qcluster"

pytestmark = [
    pytest.mark.qcluster,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend is PostgreSQL's"),
]


@pytest.fixture
def start_named_cluster(start_qcluster):
    """A cluster whose connections name themselves in pg_stat_activity, with short bounds so a shard
    left to the stale-shard sweep is resumed within the test's wait."""

    def start():
        return start_qcluster(
            DATABASE_URL=f"{database_url()}?application_name={CLUSTER_APPLICATION}",
            SYNTHGOV_GENERATION_SHARD_SIZE="2000",
            SYNTHGOV_GENERATION_BATCH_SIZE="100",
            SYNTHGOV_BATCH_MAX_SECONDS="2",
            SYNTHGOV_SHARD_STALE_SECONDS="5",
        )

    return start


def terminate_cluster_backends() -> int:
    """pg_terminate_backend on every connection of the cluster (worker, pusher, monitor), never this test's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [CLUSTER_APPLICATION],
        )
        return cursor.fetchone()[0]


def assert_one_outcome_per_record(job: GenerationJob, record_count: int) -> None:
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    outcomes = job.accepted_records + job.rejected_records + job.duplicate_records
    assert outcomes == job.processed_records == record_count
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    assert not QAPair.objects.filter(job=job).values("record_index").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_a_job_whose_worker_loses_its_database_connection_mid_job_succeeds(
    approved_version, operator, start_named_cluster
):
    # Rows made by migrations are gone after earlier transactional tests flushed the database.
    ensure_stale_shard_sweep(Schedule)
    record_count = 4000
    cluster = start_named_cluster()
    job = trigger(approved_version, operator, record_count)
    wait_for(job, cluster, lambda job: job.processed_records >= 300, "under way")

    assert terminate_cluster_backends() >= 1

    job.refresh_from_db()
    assert job.processed_records < record_count
    job = wait_for(job, cluster, lambda job: job.is_finished, "finished after its connections were cut")
    assert_one_outcome_per_record(job, record_count)
    assert "met a transient fault" in cluster.output()


def test_an_idle_connection_closed_by_the_server_does_not_break_the_next_task(
    approved_version, operator, start_named_cluster
):
    cluster = start_named_cluster()
    first = wait_for(trigger(approved_version, operator, 200), cluster, lambda job: job.is_finished, "finished")
    assert first.status == GenerationJob.Status.SUCCEEDED

    assert terminate_cluster_backends() >= 1
    second = trigger(approved_version, operator, 300)
    second = wait_for(second, cluster, lambda job: job.is_finished, "finished")

    assert_one_outcome_per_record(second, 300)
    # The connection was checked and replaced before the task used it: the task met no fault at all.
    assert "met a transient fault" not in cluster.output()
