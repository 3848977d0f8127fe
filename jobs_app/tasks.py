"""django-q2 entry points: load by id, call the service."""

from .services import job_enqueue, job_shard_run, job_shards_resume_stale


def run_generation_shard(shard_id: int) -> None:
    job_shard_run(shard_id=shard_id)


def run_generation_job(job_id: int) -> None:
    # Tasks queued before jobs had shards: plan the shards and queue them.
    job_enqueue(job_id=job_id)


def resume_stale_generation_shards() -> None:
    job_shards_resume_stale()
