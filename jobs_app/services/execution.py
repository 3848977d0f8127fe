"""Running jobs: shards, batches, heartbeats, and resuming shards whose worker died.

A job is split into shards (contiguous ranges of record indexes) when it is triggered. Each
shard runs as its own django-q2 task, so any number of workers on any number of machines share
a job. A shard commits each batch together with its progress, so a shard that is run again
(re-queued after its worker died, or delivered twice by the broker) resumes where the last
commit left it and never produces a second outcome for a record index.

A transient fault of the database or the broker (a restart, a failover, a terminated connection, a
deadlock) is no fault of the job: the shard is handed back (pending, queued again at once a few
times, then by the stale-shard sweep) and the job keeps running. Only errors of the work itself
fail the job.
"""

import itertools
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import ConcurrentTransition
from django_q.tasks import async_task

from synthgov.faults import is_transient
from synthgov.history import MAX_REASON_CHARS, record_change

from ..batches import GeneratedBatches, batch_ranges
from ..generators import GENERATORS
from ..manifest import job_output_manifest
from ..models import GenerationJob, JobShard
from ..pipeline import BatchOutcome, BatchProcessor, PreparedBatch
from ..selectors import stale_shards
from ..webhook_events import announce_finished

logger = logging.getLogger(__name__)


def shard_ranges(record_count: int, shard_size: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges of nearly equal length, none longer than shard_size."""
    shard_count = max(1, math.ceil(record_count / shard_size))
    bounds = [record_count * number // shard_count for number in range(shard_count + 1)]
    return list(itertools.pairwise(bounds))


def job_plan_shards(*, job: GenerationJob) -> list[JobShard]:
    """Create the job's shards (once); the caller holds the transaction that created the job."""
    shards = [
        JobShard(job=job, index=index, start=start, stop=stop)
        for index, (start, stop) in enumerate(shard_ranges(job.record_count, settings.SYNTHGOV_GENERATION_SHARD_SIZE))
    ]
    return JobShard.objects.bulk_create(shards)


def _unfinished_shard_ids(job_id: int) -> list[int]:
    """The job's shards still to run, planning them first for a job queued before jobs had shards."""
    job = GenerationJob.objects.get(pk=job_id)
    if not job.shards.exists():
        with transaction.atomic():
            job_plan_shards(job=job)
    return list(job.shards.exclude(status=JobShard.Status.DONE).values_list("pk", flat=True))


def job_enqueue(*, job_id: int) -> None:
    """Queue one task per unfinished shard."""
    for shard_id in _unfinished_shard_ids(job_id):
        shard_enqueue(shard_id=shard_id)


def shard_enqueue(*, shard_id: int) -> None:
    async_task(
        "jobs_app.tasks.run_generation_shard", shard_id, task_name=f"generation-shard-{shard_id}", group="generation"
    )


def job_run(*, job_id: int) -> GenerationJob:
    """Run every unfinished shard of a job here, one after another (the shell and the demo data use this)."""
    for shard_id in _unfinished_shard_ids(job_id):
        job_shard_run(shard_id=shard_id)
    return GenerationJob.objects.get(pk=job_id)


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS)


def _claim(shard: JobShard) -> bool:
    """Take the shard unless another live worker holds it; a stale heartbeat means its worker died."""
    now = timezone.now()
    claimable = Q(status=JobShard.Status.PENDING) | Q(status=JobShard.Status.RUNNING, heartbeat_at__lt=_stale_before())
    return bool(
        JobShard.objects.filter(claimable, pk=shard.pk).update(
            status=JobShard.Status.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1
        )
    )


def _start_job(job: GenerationJob) -> GenerationJob:
    """The first shard to run moves the job to running; the others find it so."""
    if job.status == GenerationJob.Status.PENDING:
        try:
            with transaction.atomic():
                job.start(at=timezone.now())
                record_change(job, user=None, action="started")
                job.save()
        except ConcurrentTransition:
            job.refresh_from_db()
    return job


def job_shard_run(*, shard_id: int) -> JobShard | None:
    """Run (or resume) one shard batch by batch; each batch commits with the shard's and the job's progress.

    A transient database or broker error hands the shard back to be resumed (see shard_hand_back)
    and returns None when the shard cannot be read back.
    """
    try:
        return _run_shard(shard_id)
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("Generation shard %s met a transient fault and will be resumed: %s", shard_id, exc)
        return shard_hand_back(shard_id=shard_id)


def _run_shard(shard_id: int) -> JobShard:
    shard = JobShard.objects.select_related("job__template_version__template").get(pk=shard_id)
    job = shard.job
    if job.is_finished or shard.status == JobShard.Status.DONE or not _claim(shard):
        return shard
    job = _start_job(job)
    if job.status != GenerationJob.Status.RUNNING:
        return shard
    shard.refresh_from_db()
    if shard.started_at is None:
        JobShard.objects.filter(pk=shard.pk).update(started_at=shard.heartbeat_at)
    processor = None
    try:
        version = job.template_version
        if not version.includes_are_pinned:
            # A preview of a draft renders the versions its references had when it was triggered.
            version.pinned_includes = job.lineage.get("pinned_includes") or {}
        processor = BatchProcessor(
            job, GENERATORS[job.generator](version, job.generator_config), concurrency_log=shard.concurrency_log
        )
        batch_size = processor.batch_size(settings.SYNTHGOV_GENERATION_BATCH_SIZE)
        early_stop = processor.early_stop_window()
        ranges = batch_ranges(shard.start + shard.processed_records, shard.stop, batch_size)
        # Closed before the processor: a batch generated ahead is dropped once its requests end.
        with GeneratedBatches(processor, ranges) as batches:
            for start, stop, prepared in batches:
                outcome = _commit_batch(processor, shard, start, stop, prepared)
                if outcome is None:
                    return shard
                if early_stop and (reason := early_stop.observe(outcome.records)):
                    # After the batch's commit: every record processed so far is stored, once.
                    logger.warning("Generation job %s shard %s stopped early: %s", job.pk, shard.index, reason)
                    _fail_job(job, reason)
                    shard.refresh_from_db()
                    return shard
        JobShard.objects.filter(pk=shard.pk).update(status=JobShard.Status.DONE, finished_at=timezone.now())
        job_finish_when_all_shards_are_done(job)
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.exception("Generation job %s shard %s failed", job.pk, shard.index)
        _fail_job(job, f"{type(exc).__name__}: {exc}")
    finally:
        if processor is not None:
            processor.close()
    shard.refresh_from_db()
    return shard


def shard_hand_back(*, shard_id: int) -> JobShard | None:
    """After a transient fault: drop the broken connection, put the shard back to pending and queue it.

    Queued again at once for its first SYNTHGOV_SHARD_QUICK_RETRIES attempts; after that (a fault
    that lasts) the stale-shard sweep queues it every SYNTHGOV_SHARD_STALE_SECONDS. When the
    database is still unreachable nothing can be written: the shard stays running with a heartbeat
    that goes stale, and the sweep resumes it once the database is back. Either way the shard
    resumes from its last committed batch, so the job ends with exactly one outcome per record.
    """
    if not connection.in_atomic_block:
        # The next query opens a new connection instead of failing on the dead one.
        connection.close()
    try:
        handed_back = JobShard.objects.filter(pk=shard_id, status=JobShard.Status.RUNNING).update(
            status=JobShard.Status.PENDING, heartbeat_at=timezone.now()
        )
        shard = JobShard.objects.get(pk=shard_id)
        # Pending also when the fault came before this task claimed the shard.
        if (handed_back or shard.status == JobShard.Status.PENDING) and (
            shard.attempts <= settings.SYNTHGOV_SHARD_QUICK_RETRIES
        ):
            shard_enqueue(shard_id=shard_id)
        return shard
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("Generation shard %s is left to the stale-shard sweep: %s", shard_id, exc)
        return None


def _commit_batch(
    processor: BatchProcessor, shard: JobShard, start: int, stop: int, prepared: PreparedBatch
) -> BatchOutcome | None:
    """Process and commit one batch; None when the shard must stop (job no longer running, or
    another worker committed this batch first).

    `prepared` was generated outside the transaction: an LLM backend's batch can take minutes (see
    BatchProcessor.generate), and the next batch is being generated while this one commits.
    """
    with transaction.atomic():
        outcome = processor.process(start, stop, prepared)
        now = timezone.now()
        # The job's row before the shard's, in the order cancel, fail and resume take them: no deadlock.
        list(GenerationJob.objects.select_for_update(no_key=True).filter(pk=shard.job_id).values_list("pk"))
        # Compare-and-set on the shard's progress: of two workers on the same shard, one commits.
        advanced = JobShard.objects.filter(
            pk=shard.pk, processed_records=start - shard.start, status=JobShard.Status.RUNNING
        ).update(processed_records=stop - shard.start, heartbeat_at=now, concurrency_log=processor.concurrency_log)
        still_running = advanced and GenerationJob.objects.filter(
            pk=shard.job_id, status=GenerationJob.Status.RUNNING
        ).update(
            processed_records=F("processed_records") + (stop - start),
            accepted_records=F("accepted_records") + outcome.accepted,
            rejected_records=F("rejected_records") + outcome.rejected,
            duplicate_records=F("duplicate_records") + outcome.duplicates,
            heartbeat_at=now,
        )
        if not still_running:
            # Cancelled or failed meanwhile, or the batch is someone else's: keep only what was committed.
            transaction.set_rollback(True)
            return None
    return outcome


def job_finish_when_all_shards_are_done(job: GenerationJob) -> None:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job.pk)
        if job.status != GenerationJob.Status.RUNNING or job.shards.exclude(status=JobShard.Status.DONE).exists():
            return
        try:
            job.succeed(at=timezone.now(), manifest=job_output_manifest(job))
            record_change(job, user=None, action="succeeded")
            job.save()
            announce_finished(job)
        except ConcurrentTransition:
            transaction.set_rollback(True)


def _fail_job(job: GenerationJob, error: str) -> None:
    try:
        with transaction.atomic():
            job = GenerationJob.objects.select_for_update().get(pk=job.pk)
            if job.is_finished:
                return
            job.fail(at=timezone.now(), error=error)
            record_change(job, user=None, action="failed", reason=error[:MAX_REASON_CHARS])
            job.save()
            job_shards_stop(job=job)
            announce_finished(job)
    except ConcurrentTransition:
        pass


def job_shards_stop(*, job: GenerationJob) -> int:
    """The unfinished shards of a job that was cancelled or failed are stopped (a resume restarts them).

    The caller holds the job's row lock (taken before any shard's, as every batch does).
    A worker inside a batch finds its shard no longer running and rolls the batch back.
    """
    return JobShard.objects.filter(job=job).exclude(status=JobShard.Status.DONE).update(status=JobShard.Status.STOPPED)


def job_shards_restart(*, job: GenerationJob) -> list[int]:
    """Put a resumed job's unfinished shards back to pending, with a fresh heartbeat so the sweep
    waits before it queues them again; returns their ids. The caller holds the job's row lock."""
    unfinished = JobShard.objects.filter(job=job).exclude(status=JobShard.Status.DONE)
    ids = list(unfinished.values_list("pk", flat=True))
    unfinished.update(status=JobShard.Status.PENDING, heartbeat_at=timezone.now())
    return ids


def job_shards_resume_stale() -> list[int]:
    """Re-queue the shards of live jobs whose worker stopped reporting; returns their ids.

    A running shard reports a heartbeat per batch; a queued one whose task was lost with its
    worker never does. Either way, once silent for SYNTHGOV_SHARD_STALE_SECONDS, it is put
    back to pending with a fresh heartbeat (so one sweep re-queues it once) and queued again.
    """
    with transaction.atomic():
        stale = list(stale_shards(before=_stale_before()).select_for_update(of=("self",)).values_list("pk", flat=True))
        JobShard.objects.filter(pk__in=stale).update(status=JobShard.Status.PENDING, heartbeat_at=timezone.now())
        for shard_id in stale:
            transaction.on_commit(lambda shard_id=shard_id: shard_enqueue(shard_id=shard_id))
    if stale:
        logger.warning("Re-queued %d generation shard(s) with a stale heartbeat: %s", len(stale), stale)
    return stale
