"""job_cancel: an operator stops a pending or running job; what was committed stays."""

import pytest
from django.db import transaction

from jobs_app.models import GenerationJob, RejectedArtifact
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import job_cancel, job_run, job_trigger, jobs
from qa_app.models import QAPair
from synthgov.errors import PermissionRefused, TransitionRefused


def test_cancel_of_a_pending_job_cancels_it(pending_job, operator):
    job = job_cancel(job=pending_job, acting_user=operator)

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.CANCELLED
    assert job.cancelled_by == operator
    assert job.finished_at is not None


def test_cancel_is_recorded_in_the_jobs_history(pending_job, operator):
    job_cancel(job=pending_job, acting_user=operator)

    latest = pending_job.history.first()
    assert latest.status == GenerationJob.Status.CANCELLED
    assert latest.cancelled_by == operator


def test_run_of_a_job_cancelled_while_pending_produces_nothing(pending_job, operator):
    job_cancel(job=pending_job, acting_user=operator)

    job = job_run(job_id=pending_job.pk)

    assert job.status == GenerationJob.Status.CANCELLED
    assert job.processed_records == 0
    assert not QAPair.objects.filter(job=job).exists()
    assert not RejectedArtifact.objects.filter(job=job).exists()


@pytest.mark.django_db(transaction=True)
def test_cancel_of_a_running_job_stops_it_after_the_batch_it_committed(job_request, operator, monkeypatch, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 5
    # Nothing runs on its own: the test plays the worker by calling job_run itself.
    monkeypatch.setattr(jobs, "job_enqueue", lambda *, job_id: None)
    job, _ = job_trigger(request=job_request(record_count=20), acting_user=operator)
    process = BatchProcessor.process

    def process_and_cancel_once_the_first_batch_commits(self, start, stop, prepared=None):
        outcome = process(self, start, stop, prepared)
        if start == 0:
            # The operator cancels between the first and the second batch, in a transaction of their own
            # (a cancel inside the batch's transaction would be rolled back with it): hence a real
            # transaction per batch (transaction=True) and on_commit.
            transaction.on_commit(lambda: job_cancel(job=self.job, acting_user=operator))
        return outcome

    monkeypatch.setattr(BatchProcessor, "process", process_and_cancel_once_the_first_batch_commits)

    job = job_run(job_id=job.pk)

    assert job.status == GenerationJob.Status.CANCELLED
    assert job.cancelled_by == operator
    assert job.processed_records == 5
    kept = QAPair.objects.filter(job=job)
    assert kept.count() == job.accepted_records == 5
    assert set(kept.values_list("record_index", flat=True)) == set(range(5))
    assert job.output_manifest == {}


def test_cancel_of_a_finished_job_is_refused(approved_version, run_job, operator):
    job = run_job(approved_version, record_count=5)

    with pytest.raises(TransitionRefused) as refused:
        job_cancel(job=job, acting_user=operator)

    assert refused.value.message == (f"Job {job.pk} is succeeded; only pending or running jobs can be cancelled.")
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.cancelled_by is None


def test_cancel_of_a_cancelled_job_is_refused(pending_job, operator, make_user):
    job_cancel(job=pending_job, acting_user=operator)
    other = make_user("second-operator", "Operators")

    with pytest.raises(TransitionRefused, match="is cancelled"):
        job_cancel(job=pending_job, acting_user=other)

    pending_job.refresh_from_db()
    assert pending_job.cancelled_by == operator


@pytest.mark.parametrize("user_fixture", ["nobody", "reviewer", "curator"])
def test_cancel_refuses_a_user_without_the_cancel_permission(pending_job, request, user_fixture):
    user = request.getfixturevalue(user_fixture)

    with pytest.raises(PermissionRefused, match=r"jobs_app\.cancel_generationjob"):
        job_cancel(job=pending_job, acting_user=user)

    pending_job.refresh_from_db()
    assert pending_job.status == GenerationJob.Status.PENDING
    assert pending_job.cancelled_by is None
    assert pending_job.finished_at is None
