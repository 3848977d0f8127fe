"""/health/ready/'s cluster check turns green once a real `manage.py qcluster` runs its scheduler."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from synthgov.health import CLUSTER_BEAT_SCHEDULE, ensure_cluster_beat_schedule

# A cluster's scheduler first runs 30 s after it starts (django-q2's guard loop), then every 30 s.
WAIT_SECONDS = 90


def cluster_check(client) -> dict:
    return client.get("/health/ready/").json()["checks"]["cluster"]


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_the_cluster_check_turns_green_when_a_qcluster_runs_its_scheduler(client, start_qcluster):
    # Rows made by migrations are gone after earlier transactional tests flushed the database.
    ensure_cluster_beat_schedule(Schedule)
    Schedule.objects.filter(name=CLUSTER_BEAT_SCHEDULE).update(next_run=timezone.now() - timedelta(minutes=5))
    assert cluster_check(client)["status"] == "fail"

    cluster = start_qcluster()
    deadline = time.monotonic() + WAIT_SECONDS
    while cluster_check(client)["status"] != "ok":
        if time.monotonic() > deadline or cluster.process.poll() is not None:
            pytest.fail(f"the cluster check is still failing; qcluster:\n{cluster.output()}")
        time.sleep(1)

    assert Schedule.objects.get(name=CLUSTER_BEAT_SCHEDULE).next_run > timezone.now()
