"""/health/ (liveness) and /health/ready/ (readiness): each check passing and failing, 200 and 503,
and what an anonymous caller is told."""

from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django_q.models import Schedule

from jobs_app.health import STALE_SHARDS
from jobs_app.models import GenerationJob, JobShard
from synthgov.health import CLUSTER_BEAT_SCHEDULE, HIDDEN_DETAIL, NO_BEAT_SCHEDULE

READY = "/health/ready/"
CHECKS = ["database", "broker", "cluster", "storage", "stale_shards"]


def ready(client, **headers):
    response = client.get(READY, headers=headers)
    return response.status_code, response.json()


def test_liveness_answers_200_without_touching_the_database(client):
    # No `db` fixture: any query would raise "Database access not allowed".
    response = client.get("/health/")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_liveness_is_never_cached(client):
    assert "no-cache" in client.get("/health/")["Cache-Control"]


def test_readiness_is_200_with_one_entry_per_check_when_every_check_passes(client, healthy):
    status, body = ready(client)

    assert status == 200
    assert body["status"] == "ok"
    assert list(body["checks"]) == CHECKS
    assert {check["status"] for check in body["checks"].values()} == {"ok"}


def test_readiness_needs_no_authentication(client, healthy):
    client.logout()

    assert client.get(READY).status_code == 200


def test_a_cluster_that_has_not_beaten_within_the_limit_makes_readiness_503(client, cluster_beat, settings):
    settings.SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS = 60
    cluster_beat(overdue_seconds=120)

    status, body = ready(client, Authorization=f"Bearer {metrics_token(settings)}")

    assert status == 503
    assert body["checks"]["cluster"]["status"] == "fail"
    assert body["checks"]["cluster"]["error"].startswith("Unavailable: no q2 cluster has run its scheduler for 1")
    assert {name for name, check in body["checks"].items() if check["status"] == "fail"} == {"cluster"}


def test_a_beat_overdue_by_less_than_the_limit_passes(client, cluster_beat, settings):
    settings.SYNTHGOV_CLUSTER_BEAT_MAX_AGE_SECONDS = 60
    cluster_beat(overdue_seconds=45)

    assert ready(client)[1]["checks"]["cluster"]["status"] == "ok"


def test_a_missing_beat_schedule_says_to_migrate(client, db, settings):
    Schedule.objects.filter(name=CLUSTER_BEAT_SCHEDULE).delete()

    status, body = ready(client, Authorization=f"Bearer {metrics_token(settings)}")

    assert status == 503
    assert body["checks"]["cluster"]["error"] == f"Unavailable: {NO_BEAT_SCHEDULE}"


def test_an_anonymous_caller_sees_which_check_failed_but_not_why(client, cluster_beat):
    cluster_beat(overdue_seconds=3600)

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["cluster"] == {
        "status": "fail",
        "seconds": body["checks"]["cluster"]["seconds"],
        "error": HIDDEN_DETAIL,
    }


def test_a_staff_user_sees_why_a_check_failed(client, cluster_beat, operator):
    cluster_beat(overdue_seconds=3600)
    client.force_login(operator)

    assert ready(client)[1]["checks"]["cluster"]["error"].startswith("Unavailable: no q2 cluster")


def test_a_wrong_token_sees_no_details(client, cluster_beat, settings):
    metrics_token(settings)
    cluster_beat(overdue_seconds=3600)

    assert ready(client, Authorization="Bearer not-the-token-at-all")[1]["checks"]["cluster"]["error"] == HIDDEN_DETAIL


class BrokenStorage(FileSystemStorage):
    def save(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")


def test_storage_that_cannot_write_makes_readiness_503(client, healthy, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.ops.test_health.BrokenStorage"}}

    status, body = ready(client, Authorization=f"Bearer {metrics_token(settings)}")

    assert status == 503
    assert body["checks"]["storage"]["status"] == "fail"
    # The library reports an unexpected exception generically (its message could hold paths or secrets).
    assert body["checks"]["storage"]["error"] == "Unknown Error: unknown error"


def test_the_storage_check_leaves_no_file_behind(client, healthy, settings):
    ready(client)

    media = settings.MEDIA_ROOT
    assert not any(path.is_file() for path in media.rglob("*")) if media.exists() else True


@pytest.mark.parametrize("redis_url", ["redis://127.0.0.1:1/0"])
def test_an_unreachable_redis_broker_makes_readiness_503(client, healthy, settings, redis_url):
    settings.Q_CLUSTER = {**{k: v for k, v in settings.Q_CLUSTER.items() if k != "orm"}, "redis": redis_url}

    status, body = ready(client, Authorization=f"Bearer {metrics_token(settings)}")

    assert status == 503
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["broker"]["error"].startswith("Unavailable: Unable to connect to Redis")


def test_a_reachable_redis_broker_passes(client, healthy, settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.Q_CLUSTER = {
        **{k: v for k, v in settings.Q_CLUSTER.items() if k != "orm"},
        "redis": "redis://127.0.0.1:6379/0",
    }

    status, body = ready(client)

    assert (status, body["checks"]["broker"]["status"]) == (200, "ok")


def test_an_orm_broker_whose_database_alias_is_unknown_fails(client, healthy, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "orm": "nowhere"}

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["broker"]["status"] == "fail"


def stale_shard(job: GenerationJob, *, silent_seconds: int) -> JobShard:
    return JobShard.objects.create(
        job=job,
        index=0,
        start=0,
        stop=job.record_count,
        status=JobShard.Status.RUNNING,
        heartbeat_at=timezone.now() - timedelta(seconds=silent_seconds),
    )


def test_a_stale_shard_makes_readiness_503_and_names_its_job(client, healthy, settings, pending_job):
    settings.SYNTHGOV_SHARD_STALE_SECONDS = 300
    pending_job.shards.all().delete()
    stale_shard(pending_job, silent_seconds=301)

    status, body = ready(client, Authorization=f"Bearer {metrics_token(settings)}")

    assert status == 503
    assert body["checks"]["stale_shards"]["error"] == "Unavailable: " + STALE_SHARDS.format(
        count=1, seconds=300, jobs=str(pending_job.pk)
    )


def test_a_shard_that_reported_recently_is_not_stale(client, healthy, settings, pending_job):
    settings.SYNTHGOV_SHARD_STALE_SECONDS = 300
    pending_job.shards.all().delete()
    stale_shard(pending_job, silent_seconds=10)

    assert ready(client)[1]["checks"]["stale_shards"]["status"] == "ok"


def test_a_silent_shard_of_a_cancelled_job_is_not_stale(client, healthy, settings, pending_job):
    pending_job.shards.all().delete()
    stale_shard(pending_job, silent_seconds=10_000)
    GenerationJob.objects.filter(pk=pending_job.pk).update(status=GenerationJob.Status.CANCELLED)

    assert ready(client)[1]["checks"]["stale_shards"]["status"] == "ok"


def test_readiness_refuses_post(client, healthy):
    assert client.post(READY).status_code == 405


def metrics_token(settings) -> str:
    settings.SYNTHGOV_METRICS_TOKEN = "t" * 32
    return settings.SYNTHGOV_METRICS_TOKEN


def test_a_session_that_cannot_be_read_shows_no_details_and_no_500(client, cluster_beat, operator, monkeypatch):
    from django.contrib.auth.models import AnonymousUser
    from django.db import OperationalError

    cluster_beat(overdue_seconds=3600)
    client.force_login(operator)

    def database_gone(self):
        raise OperationalError("connection refused")

    monkeypatch.setattr(AnonymousUser, "is_authenticated", property(database_gone))
    monkeypatch.setattr(type(operator), "is_authenticated", property(database_gone))

    status, body = ready(client)

    assert (status, body["checks"]["cluster"]["error"]) == (503, HIDDEN_DETAIL)


@pytest.mark.parametrize("path", ["/health/", READY])
def test_probes_over_plain_http_are_answered_not_redirected_behind_tls(client, healthy, settings, path):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(path).status_code == 200


def test_metrics_over_plain_http_are_redirected_behind_tls(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/metrics").status_code == 301
