"""job_resume: an operator continues a failed or cancelled job; cancel and fail settle the shards first."""

import pytest
from django.db.models import Count

from jobs_app.models import GenerationJob, JobShard
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import RESUME_PERMISSION_MISSING, execution, job_cancel, job_resume, job_shard_run, job_trigger
from qa_app.models import QAPair
from synthgov.errors import PermissionRefused, TransitionRefused


@pytest.fixture
def small_shards(settings):
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 8
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3


@pytest.fixture
def unqueued(monkeypatch):
    """Nothing runs on its own: the test plays the workers."""
    queued = []
    monkeypatch.setattr(execution, "shard_enqueue", lambda *, shard_id: queued.append(shard_id))
    return queued


@pytest.fixture
def failed_job(job_request, operator, small_shards, unqueued, monkeypatch):
    """A job of three shards whose second shard failed after its first batch: the first is done, the third never ran."""
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    first, second, _ = job.shards.all()
    job_shard_run(shard_id=first.pk)
    process = BatchProcessor.process

    def fail_on_the_second_batch(self, start, stop, prepared=None):
        if start == second.start + 3:
            raise RuntimeError("the generator backend broke")
        return process(self, start, stop, prepared)

    monkeypatch.setattr(BatchProcessor, "process", fail_on_the_second_batch)
    job_shard_run(shard_id=second.pk)
    monkeypatch.setattr(BatchProcessor, "process", process)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    return job


def shard_states(job: GenerationJob) -> list[tuple[str, int]]:
    return list(job.shards.values_list("status", "processed_records"))


def test_a_failed_job_stops_its_unfinished_shards(failed_job):
    assert shard_states(failed_job) == [("done", 6), ("stopped", 3), ("stopped", 0)]


def test_a_cancelled_job_lists_no_running_shards(job_request, operator, small_shards, unqueued):
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    job.shards.filter(index=0).update(status=JobShard.Status.RUNNING)
    job.shards.filter(index=1).update(status=JobShard.Status.DONE)

    job_cancel(job=job, acting_user=operator)

    assert list(job.shards.values_list("status", flat=True)) == ["stopped", "done", "stopped"]


def test_a_stopped_shard_is_not_run(failed_job):
    shard = failed_job.shards.get(index=2)

    job_shard_run(shard_id=shard.pk)

    shard.refresh_from_db()
    assert (shard.status, shard.processed_records, shard.attempts) == (JobShard.Status.STOPPED, 0, 0)


def test_resume_of_a_failed_job_puts_it_back_to_running_and_queues_its_unfinished_shards(
    failed_job, operator, unqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_resume(job=failed_job, acting_user=operator)

    assert job.status == GenerationJob.Status.RUNNING
    assert (job.error, job.finished_at) == ("", None)
    second, third = job.shards.exclude(status=JobShard.Status.DONE)
    assert sorted(unqueued) == [second.pk, third.pk]
    assert shard_states(job) == [("done", 6), ("pending", 3), ("pending", 0)]


def test_a_resumed_job_ends_with_exactly_one_outcome_per_record(failed_job, operator, unqueued):
    job = job_resume(job=failed_job, acting_user=operator)
    for shard in job.shards.exclude(status=JobShard.Status.DONE):
        job_shard_run(shard_id=shard.pk)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records + job.rejected_records + job.duplicate_records == job.processed_records == 20
    assert QAPair.objects.filter(job=job).count() == job.accepted_records > 0
    assert not QAPair.objects.filter(job=job).values("record_index").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_resume_of_a_job_cancelled_before_it_started_puts_it_back_to_pending(pending_job, operator, unqueued):
    job_cancel(job=pending_job, acting_user=operator)

    job = job_resume(job=pending_job, acting_user=operator)

    assert job.status == GenerationJob.Status.PENDING
    assert job.cancelled_by is None


def test_resume_is_recorded_in_the_jobs_history_with_who_resumed(failed_job, operator):
    job_resume(job=failed_job, acting_user=operator)

    latest = failed_job.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == ("running", operator, "resumed")
    assert failed_job.history.filter(status="failed").exclude(error="").exists()


@pytest.mark.parametrize("status", [GenerationJob.Status.PENDING, GenerationJob.Status.SUCCEEDED])
def test_resume_refuses_a_job_that_is_not_failed_or_cancelled(pending_job, operator, status):
    GenerationJob.objects.filter(pk=pending_job.pk).update(status=status)

    with pytest.raises(TransitionRefused, match=f"Job {pending_job.pk} is {status}; only failed or cancelled"):
        job_resume(job=pending_job, acting_user=operator)


def test_resume_needs_the_resume_permission(failed_job, reviewer):
    with pytest.raises(PermissionRefused) as refused:
        job_resume(job=failed_job, acting_user=reviewer)

    assert refused.value.message == RESUME_PERMISSION_MISSING
    failed_job.refresh_from_db()
    assert failed_job.status == GenerationJob.Status.FAILED


def test_resume_of_a_job_whose_records_were_all_produced_finishes_it(failed_job, operator, unqueued):
    failed_job.shards.update(status=JobShard.Status.DONE)

    job = job_resume(job=failed_job, acting_user=operator)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert unqueued == []
