"""A transient database or broker fault mid-job hands the shard back to be resumed; it never fails the job."""

import psycopg
import pytest
from django.db import OperationalError
from django.db.models import Count
from redis.exceptions import ConnectionError as RedisConnectionError

from jobs_app.models import GenerationJob, JobShard
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import execution, job_shard_run, job_shards_resume_stale, job_trigger
from qa_app.models import QAPair


@pytest.fixture
def small_shards(settings):
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 8
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3


@pytest.fixture
def faults(monkeypatch):
    """Make BatchProcessor.process raise `error` on its calls numbered in `on_calls` (1-based)."""
    process = BatchProcessor.process
    calls = []

    def arm(error: Exception, on_calls):
        def process_or_fail(self, *args, **kwargs):
            calls.append(1)
            if on_calls is all or len(calls) in on_calls:
                raise error
            return process(self, *args, **kwargs)

        monkeypatch.setattr(BatchProcessor, "process", process_or_fail)

    return arm


def connection_lost() -> OperationalError:
    """What Django raises when PostgreSQL terminated the backend mid-query."""
    error = OperationalError("consuming input failed: terminating connection due to administrator command")
    error.__cause__ = psycopg.OperationalError("terminating connection due to administrator command")
    return error


def outcomes(job: GenerationJob) -> int:
    return job.accepted_records + job.rejected_records + job.duplicate_records


def no_record_twice(job: GenerationJob) -> bool:
    return not QAPair.objects.filter(job=job).values("record_index").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_a_lost_database_connection_mid_batch_is_resumed_and_the_job_succeeds(
    job_request, operator, small_shards, faults
):
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    faults(connection_lost(), on_calls={2})

    job_shard_run(shard_id=job.shards.get().pk)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    assert outcomes(job) == job.processed_records == 8
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    assert no_record_twice(job)
    assert job.shards.get().attempts == 2


def test_a_broker_fault_is_transient_too(job_request, operator, small_shards, faults):
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    faults(RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."), on_calls={1})

    job_shard_run(shard_id=job.shards.get().pk)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    assert outcomes(job) == 8


def test_a_fault_that_lasts_is_left_to_the_stale_sweep_and_the_job_keeps_running(
    job_request, operator, small_shards, faults, settings
):
    settings.SYNTHGOV_SHARD_QUICK_RETRIES = 2
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    faults(connection_lost(), on_calls=all)
    shard = job.shards.get()

    job_shard_run(shard_id=shard.pk)

    job.refresh_from_db()
    shard.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    assert job.error == ""
    # Queued again at once after attempts 1 and 2; after the third it waits for the sweep.
    assert (shard.status, shard.attempts) == (JobShard.Status.PENDING, 3)


def test_the_sweep_resumes_a_shard_left_to_it_and_the_job_succeeds(
    job_request, operator, small_shards, faults, settings, django_capture_on_commit_callbacks
):
    settings.SYNTHGOV_SHARD_QUICK_RETRIES = 0
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    faults(connection_lost(), on_calls={2})
    job_shard_run(shard_id=job.shards.get().pk)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING

    settings.SYNTHGOV_SHARD_STALE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        job_shards_resume_stale()

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error
    assert outcomes(job) == 8
    assert no_record_twice(job)


def test_when_the_database_is_still_down_the_shard_stays_running_for_the_sweep(
    job_request, operator, small_shards, faults, monkeypatch
):
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    faults(connection_lost(), on_calls=all)
    monkeypatch.setattr(execution, "shard_enqueue", _database_down)
    shard = job.shards.get()

    assert job_shard_run(shard_id=shard.pk) is None

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    shard.refresh_from_db()
    assert shard.status == JobShard.Status.PENDING


def _database_down(*, shard_id):
    raise connection_lost()


def test_an_error_of_the_work_itself_still_fails_the_job(job_request, operator, small_shards, faults):
    job, _ = job_trigger(request=job_request(record_count=8), acting_user=operator)
    too_long = OperationalError("index row size 9000 exceeds btree version 4 maximum 2704")
    too_long.__cause__ = psycopg.errors.ProgramLimitExceeded("index row size 9000 exceeds maximum")
    faults(too_long, on_calls={1})

    job_shard_run(shard_id=job.shards.get().pk)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert job.error.startswith("OperationalError: index row size")
