"""django-q2 entry points: load by id, call the service."""

from .services import job_run


def run_generation_job(job_id: int) -> None:
    job_run(job_id=job_id)
