"""django-q2 entry points: load by id, call the service."""

from .services import membership_fill_run, membership_fills_resume_stale


def run_membership_fill(fill_id: int) -> None:
    membership_fill_run(fill_id=fill_id)


def resume_stale_fills() -> None:
    membership_fills_resume_stale()
