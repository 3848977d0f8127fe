"""Shards: a job split into ranges that workers run in parallel, resume after a crash, and finish together."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs_app.models import GenerationJob, JobShard
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import (
    execution,
    job_cancel,
    job_run,
    job_shard_run,
    job_shards_resume_stale,
    job_trigger,
    shard_ranges,
)
from qa_app.models import QAPair


@pytest.fixture
def unqueued(monkeypatch):
    """Nothing runs on its own: the test plays the workers."""
    queued = []
    monkeypatch.setattr(execution, "shard_enqueue", lambda *, shard_id: queued.append(shard_id))
    return queued


@pytest.fixture
def small_shards(settings):
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 8
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3


def records(job: GenerationJob) -> list[tuple]:
    return list(QAPair.objects.filter(job=job).order_by("record_index").values_list("record_index", "question"))


@pytest.mark.parametrize(
    ("record_count", "shard_size", "expected"),
    [
        (10, 50, [(0, 10)]),
        (10, 5, [(0, 5), (5, 10)]),
        (10, 4, [(0, 3), (3, 6), (6, 10)]),
        (1, 1, [(0, 1)]),
    ],
)
def test_shard_ranges_cover_every_record_once_in_nearly_equal_parts(record_count, shard_size, expected):
    assert shard_ranges(record_count, shard_size) == expected


def test_trigger_plans_the_shards_of_a_job_above_the_shard_size(job_request, operator, small_shards):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)

    assert list(job.shards.values_list("index", "start", "stop", "status")) == [
        (0, 0, 6, "pending"),
        (1, 6, 13, "pending"),
        (2, 13, 20, "pending"),
    ]


def test_a_sharded_job_makes_the_same_records_as_an_unsharded_one(run_job, approved_version, settings):
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 7
    sharded = run_job(approved_version, tenant_id="acme", record_count=30)
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 1000
    whole = run_job(approved_version, tenant_id="globex", record_count=30)

    assert sharded.shards.count() == 5
    assert whole.shards.count() == 1
    assert records(sharded) == records(whole)
    counts = ("processed_records", "accepted_records", "rejected_records", "duplicate_records")
    assert [getattr(sharded, name) for name in counts] == [getattr(whole, name) for name in counts]


def test_the_job_succeeds_only_when_its_last_shard_is_done(job_request, operator, small_shards, unqueued):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    first, second, third = job.shards.all()

    job_shard_run(shard_id=third.pk)
    job_shard_run(shard_id=first.pk)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.RUNNING
    assert job.processed_records == 13

    job_shard_run(shard_id=second.pk)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.processed_records == 20
    assert job.output_manifest["accepted"] == job.accepted_records


def test_a_shard_held_by_a_live_worker_is_not_run_twice(job_request, operator, small_shards, unqueued):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    shard = job.shards.first()
    job.shards.filter(pk=shard.pk).update(status=JobShard.Status.RUNNING, heartbeat_at=timezone.now())

    job_shard_run(shard_id=shard.pk)

    shard.refresh_from_db()
    assert shard.processed_records == 0
    assert shard.attempts == 0
    assert not QAPair.objects.filter(job=job).exists()


def test_a_shard_whose_worker_died_resumes_from_its_last_committed_batch(
    job_request, operator, small_shards, unqueued, settings
):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    shard = job.shards.get(index=1)
    job_shard_run(shard_id=shard.pk)
    done = records(job)
    long_ago = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)
    # As if the worker died after its first batch: the shard's later progress was never committed.
    QAPair.objects.filter(job=job, record_index__gte=shard.start + 3).delete()
    job.shards.filter(pk=shard.pk).update(status=JobShard.Status.RUNNING, processed_records=3, heartbeat_at=long_ago)

    job_shard_run(shard_id=shard.pk)

    shard.refresh_from_db()
    assert (shard.status, shard.processed_records, shard.attempts) == (JobShard.Status.DONE, 7, 2)
    assert records(job) == done


def test_the_sweep_requeues_shards_silent_past_the_stale_limit(
    job_request, operator, small_shards, unqueued, settings, django_capture_on_commit_callbacks
):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    stale, fresh, done = job.shards.all()
    long_ago = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)
    JobShard.objects.filter(pk=stale.pk).update(status=JobShard.Status.RUNNING, heartbeat_at=long_ago)
    JobShard.objects.filter(pk=fresh.pk).update(status=JobShard.Status.RUNNING, heartbeat_at=timezone.now())
    JobShard.objects.filter(pk=done.pk).update(status=JobShard.Status.DONE, heartbeat_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        requeued = job_shards_resume_stale()

    assert requeued == [stale.pk]
    assert unqueued == [stale.pk]
    stale.refresh_from_db()
    assert stale.status == JobShard.Status.PENDING
    assert stale.heartbeat_at > long_ago


def test_the_sweep_requeues_a_shard_whose_task_was_lost_before_it_started(
    job_request, operator, small_shards, unqueued, settings, django_capture_on_commit_callbacks
):
    job, _ = job_trigger(request=job_request(record_count=5), acting_user=operator)
    long_ago = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)
    GenerationJob.objects.filter(pk=job.pk).update(created_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        requeued = job_shards_resume_stale()

    assert requeued == [job.shards.get().pk]
    assert unqueued == requeued


def test_the_sweep_leaves_the_shards_of_finished_jobs_alone(job_request, operator, small_shards, unqueued, settings):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    job_cancel(job=job, acting_user=operator)
    long_ago = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)
    job.shards.update(status=JobShard.Status.RUNNING, heartbeat_at=long_ago)

    assert job_shards_resume_stale() == []


def test_a_requeued_shard_stops_the_worker_that_was_only_slow(
    job_request, operator, small_shards, unqueued, monkeypatch
):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    shard = job.shards.first()
    original_commit = execution._commit_batch

    def commit_after_the_sweep_requeued_the_shard(processor, shard, *batch):
        JobShard.objects.filter(pk=shard.pk).update(status=JobShard.Status.PENDING)
        return original_commit(processor, shard, *batch)

    monkeypatch.setattr(execution, "_commit_batch", commit_after_the_sweep_requeued_the_shard)
    job_shard_run(shard_id=shard.pk)

    shard.refresh_from_db()
    assert (shard.status, shard.processed_records) == (JobShard.Status.PENDING, 0)
    assert not QAPair.objects.filter(job=job).exists()


def test_a_failing_shard_fails_the_job_and_keeps_what_was_committed(
    job_request, operator, small_shards, unqueued, monkeypatch
):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    first, second, third = job.shards.all()
    job_shard_run(shard_id=first.pk)

    def backend_gone(self, *args, **kwargs):
        raise ConnectionError("the backend went away")

    monkeypatch.setattr(BatchProcessor, "process", backend_gone)
    job_shard_run(shard_id=second.pk)
    job_shard_run(shard_id=third.pk)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert job.error == "ConnectionError: the backend went away"
    assert job.processed_records == first.stop
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    third.refresh_from_db()
    assert third.processed_records == 0


def test_job_run_runs_every_unfinished_shard_in_this_process(job_request, operator, small_shards, unqueued):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)

    job = job_run(job_id=job.pk)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert set(job.shards.values_list("status", flat=True)) == {JobShard.Status.DONE}
