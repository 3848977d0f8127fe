"""django-q2 entry points: load by id, call the service."""

from .services.imports import import_run_process, import_runs_resume_stale


def run_import(run_id: int) -> None:
    import_run_process(run_id=run_id)


def resume_stale_imports() -> None:
    import_runs_resume_stale()
