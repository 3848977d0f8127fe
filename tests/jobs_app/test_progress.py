"""What the progress bar shows while a job runs: rate and time left."""

from datetime import timedelta

from django.utils import timezone

from jobs_app.admin import progress_bar
from jobs_app.models import GenerationJob


def running_job(processed: int, seconds_ago: int) -> GenerationJob:
    return GenerationJob(
        status=GenerationJob.Status.RUNNING,
        record_count=10_000,
        processed_records=processed,
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def test_rate_and_eta_come_from_the_progress_since_the_job_started():
    job = running_job(processed=2_000, seconds_ago=10)

    assert round(job.records_per_second) == 200
    assert round(job.eta_seconds) == 40


def test_a_job_without_progress_has_no_rate_or_eta():
    job = running_job(processed=0, seconds_ago=10)

    assert job.records_per_second is None
    assert job.eta_seconds is None


def test_the_progress_bar_of_a_running_job_shows_rate_and_eta():
    html = progress_bar(running_job(processed=2_000, seconds_ago=10))

    assert "20% · 2,000/10,000 · 200 rec/s · ETA 0:00:40" in html
