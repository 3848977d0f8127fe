from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from synthgov.health import CLUSTER_BEAT_SCHEDULE, ensure_cluster_beat_schedule


@pytest.fixture
def cluster_beat(db):
    """Set the beat schedule as a cluster's scheduler would leave it: `beat(seconds_overdue)`."""

    # Made by a migration; a transactional test run earlier on a reused database may have flushed it.
    ensure_cluster_beat_schedule(Schedule)

    def beat(overdue_seconds: float = -30) -> Schedule:
        schedule = Schedule.objects.get(name=CLUSTER_BEAT_SCHEDULE)
        schedule.next_run = timezone.now() - timedelta(seconds=overdue_seconds)
        schedule.save(update_fields=["next_run"])
        return schedule

    return beat


@pytest.fixture
def healthy(cluster_beat):
    """A cluster's scheduler ran moments ago: every check passes."""
    cluster_beat(-30)


@pytest.fixture
def pending_job(approved_version, operator):
    """A triggered job nobody has run (the test transaction never commits, so nothing is queued)."""
    from jobs_app.services import JobRequest, job_trigger

    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=20, target_surface="training"
        ),
        acting_user=operator,
    )
    return job
