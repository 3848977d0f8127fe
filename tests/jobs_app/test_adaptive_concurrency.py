"""The openai backend's adaptive concurrency against the local fake server made to throttle and to fail.

What the concurrency did is read from the job's output manifest; whether a Retry-After was honoured
from the fake server's own request log (when each request arrived and was answered).
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from jobs_app.generators.concurrency_log import MAX_SERIES_POINTS, SCOPE, ConcurrencyReport, log_add
from jobs_app.generators.openai_client import retry_after_seconds
from jobs_app.models import MIN_CONCURRENCY_REFUSED, GenerationJob, GeneratorProfile, JobShard
from qa_app.models import QAPair

from .fake_openai import Error, Stall

PROMPT = "What is {{ a }} plus {{ b }}?"


@pytest.fixture
def profile(fake_profile):
    return fake_profile(concurrency=4, min_concurrency=1, max_retries=4)


@pytest.fixture
def run_openai(run_job, publish, profile, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 20
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 1000
    version = publish(prompt=PROMPT)

    def run(record_count: int):
        return run_job(version, record_count=record_count, generator="openai", generator_config={"profile": "local"})

    return run


def series(job: GenerationJob) -> list[tuple[int, str]]:
    return [(point["concurrency"], point["reason"]) for point in job.output_manifest["concurrency"]["series"]]


def test_concurrency_halves_on_429s_then_climbs_back_as_replies_come_fast(run_openai, fake_openai):
    # Six 429s: the first round of 4 is throttled (halved once), then the requests sent after the
    # pause (halved again). A request of the first round that a busy machine sent only after the
    # first halving is a round of its own, which halves once more (at the minimum, 1, it stays).
    fake_openai.script(*[Error(429, "slow down", retry_after="0.05")] * 6)

    job = run_openai(record_count=40)

    assert (job.status, job.accepted_records + job.duplicate_records) == (GenerationJob.Status.SUCCEEDED, 40)
    points = series(job)
    throttled = [limit for limit, reason in points if reason == "throttled"]
    assert points[0] == (4, "start")
    assert throttled[:2] == [2, 1]
    assert set(throttled[2:]) <= {1}
    assert points[1 : 1 + len(throttled)] == [(limit, "throttled") for limit in throttled]
    assert points[1 + len(throttled) :] == [(2, "increase"), (3, "increase"), (4, "increase")]
    concurrency = job.output_manifest["concurrency"]
    assert (concurrency["throttled"], concurrency["errors"]) == (6, 0)
    assert (concurrency["minimum"], concurrency["maximum"], concurrency["scope"]) == (1, 4, SCOPE)
    pauses = [point["pause_s"] for point in concurrency["series"] if point["reason"] == "throttled"]
    assert pauses == [0.05] * len(throttled)


def test_the_series_is_in_time_order_from_the_jobs_start(run_openai, fake_openai):
    fake_openai.script(*[Error(429, "slow down", retry_after="0.05")] * 6)

    job = run_openai(record_count=40)

    times = [point["t"] for point in job.output_manifest["concurrency"]["series"]]
    assert times == sorted(times)
    assert times[0] >= 0
    assert times[-1] <= (job.finished_at - job.started_at).total_seconds()


def test_no_request_goes_out_before_the_retry_after_has_passed(run_openai, fake_openai):
    # All four first requests are throttled; every later request (retries and new records alike) must wait.
    fake_openai.script(*[Error(429, "slow down", retry_after="0.3")] * 4)

    job = run_openai(record_count=8)

    assert (job.status, len(fake_openai.received)) == (GenerationJob.Status.SUCCEEDED, 12)
    first_round, later = fake_openai.received[:4], fake_openai.received[4:]
    assert {request.status for request in first_round} == {429}
    first_429_answered = min(request.answered_at for request in first_round)
    assert min(request.received_at for request in later) >= first_429_answered + 0.3


def test_server_errors_halve_the_concurrency(run_openai, fake_openai):
    fake_openai.script(*[Error(500, "overloaded")] * 4)

    job = run_openai(record_count=8)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert series(job)[:2] == [(4, "start"), (2, "server_error")]
    concurrency = job.output_manifest["concurrency"]
    assert (concurrency["throttled"], concurrency["errors"], concurrency["faults"]) == (0, 4, {"HTTP 500": 4})


def test_timeouts_halve_the_concurrency(run_openai, fake_openai, profile):
    profile.timeout_seconds = 0.3
    profile.save()
    fake_openai.script(*[Stall(0.8)] * 4)

    job = run_openai(record_count=8)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert series(job)[:2] == [(4, "start"), (2, "timeout")]
    assert job.output_manifest["concurrency"]["faults"] == {"timeout": 4}


def test_the_sdk_itself_retries_nothing(run_openai, fake_openai, profile):
    # Our loop retries (and the controller sees each failure); the SDK's own retries would hide them.
    profile.max_retries = 0
    profile.save()
    fake_openai.fallback = Error(503, "down")

    job = run_openai(record_count=1)

    assert job.status == GenerationJob.Status.FAILED
    assert len(fake_openai.received) == 1


def test_the_concurrency_learnt_carries_over_to_the_next_job_in_the_process(run_openai, fake_openai):
    fake_openai.script(*[Error(429, "slow down", retry_after="0.05")] * 4)
    first = run_openai(record_count=4)

    job = run_openai(record_count=1)

    # The 429s halved the profile's 4 (once or, when they straddle two rounds on a busy machine,
    # twice) before fast replies added one back: the next job starts where the first one ended.
    learnt, _ = series(first)[-1]
    assert learnt < 4
    assert series(job)[0] == (learnt, "start")


def test_the_job_page_shows_the_concurrency_over_time(run_openai, fake_openai, client, superuser_factory):
    fake_openai.script(*[Error(429, "slow down", retry_after="0.05")] * 6)
    job = run_openai(record_count=40)
    client.force_login(superuser_factory())

    page = client.get(reverse("admin:jobs_app_generationjob_change", args=[job.pk])).content.decode()

    assert "6 throttled (429), 0 other fault(s); between 1 and 4 at once" in page
    assert "429: halved; all senders paused 0.05 s (Retry-After)" in page
    assert "fast replies: one more" in page


def test_a_template_job_reports_no_concurrency(run_job, approved_version):
    job = run_job(approved_version, record_count=3)

    assert job.output_manifest["concurrency"] is None


def test_the_shard_log_keeps_the_start_and_the_latest_changes():
    report = ConcurrencyReport(1, 4, [(float(n), 1 + n % 4, "increase", None) for n in range(MAX_SERIES_POINTS + 50)])

    log = log_add({}, report)

    assert len(log["series"]) == MAX_SERIES_POINTS
    assert log["dropped"] == 50
    assert [point["at"] for point in log["series"][:2]] == [0.0, 51.0]


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date(headers, seconds):
    assert retry_after_seconds(headers) == seconds


def test_a_profile_refuses_a_minimum_above_its_concurrency(db, profile):
    profile.min_concurrency = 5

    with pytest.raises(ValidationError) as refused:
        profile.full_clean()

    assert refused.value.messages == [MIN_CONCURRENCY_REFUSED]


def test_the_database_refuses_a_minimum_above_the_concurrency(db, profile):
    with pytest.raises(IntegrityError), transaction.atomic():
        GeneratorProfile.objects.filter(pk=profile.pk).update(min_concurrency=5)


@pytest.mark.parametrize("field", ["early_stop_rejection_rate", "early_stop_error_rate"])
def test_a_profile_refuses_an_early_stop_rate_above_one(db, profile, field):
    setattr(profile, field, 1.5)

    with pytest.raises(ValidationError) as refused:
        profile.full_clean()

    assert field in refused.value.message_dict


def test_profile_admin_saves_the_adaptive_and_early_stop_settings(client, superuser_factory, fake_openai):
    client.force_login(superuser_factory())
    form = {
        "name": "adaptive",
        "base_url": fake_openai.base_url,
        "model": "m",
        "temperature": 0.7,
        "max_tokens": 100,
        "min_concurrency": 2,
        "concurrency": 16,
        "timeout_seconds": 10,
        "max_retries": 1,
        "early_stop_window": 20,
        "early_stop_rejection_rate": 0.75,
        "early_stop_error_rate": "",
        "api_key_env": "",
    }

    response = client.post(reverse("admin:jobs_app_generatorprofile_add"), form)

    assert response.status_code == 302
    saved = GeneratorProfile.objects.get(name="adaptive")
    assert (saved.min_concurrency, saved.concurrency, saved.early_stop_window) == (2, 16, 20)
    assert (saved.early_stop_rejection_rate, saved.early_stop_error_rate) == (0.75, None)


def test_profile_admin_refuses_a_minimum_above_the_concurrency(client, superuser_factory, fake_openai):
    client.force_login(superuser_factory())
    form = {
        "name": "upside-down",
        "base_url": fake_openai.base_url,
        "model": "m",
        "temperature": 0.7,
        "max_tokens": 100,
        "min_concurrency": 8,
        "concurrency": 4,
        "timeout_seconds": 10,
        "max_retries": 1,
        "early_stop_window": 50,
    }

    response = client.post(reverse("admin:jobs_app_generatorprofile_add"), form)

    assert response.status_code == 200
    assert MIN_CONCURRENCY_REFUSED in response.content.decode()
    assert not GeneratorProfile.objects.filter(name="upside-down").exists()


def test_the_shards_log_is_written_with_each_batch(run_openai, fake_openai):
    fake_openai.script(*[Error(429, "slow down", retry_after="0.05")] * 4)

    job = run_openai(record_count=8)

    log = JobShard.objects.get(job=job).concurrency_log
    assert log["faults"] == {"HTTP 429": 4}
    assert [point["reason"] for point in log["series"]][:2] == ["start", "throttled"]
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
