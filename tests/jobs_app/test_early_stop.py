"""A job stops early when the rejection or error rate of its last N records passes the profile's threshold."""

import pytest

from jobs_app.generators.early_stop import (
    EARLY_STOP_ERRORS,
    EARLY_STOP_REJECTED,
    EarlyStopRule,
    EarlyStopWindow,
    RecordOutcome,
)
from jobs_app.models import GenerationJob, GeneratorProfile, JobShard, RejectedArtifact
from qa_app.models import QAPair

from .fake_openai import Answer, Error, Reply

PROMPT = "What is {{ a }} plus {{ b }}?"
NOT_JSON = "Sorry, I cannot help with that."
BATCH = 5


@pytest.fixture
def profile(fake_profile):
    return fake_profile(early_stop_window=10, early_stop_rejection_rate=0.5, early_stop_error_rate=0.5)


@pytest.fixture
def run_openai(run_job, publish, profile, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = BATCH
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 1000
    version = publish(prompt=PROMPT)

    def run(record_count: int):
        return run_job(version, record_count=record_count, generator="openai", generator_config={"profile": "local"})

    return run


def rule(window=4, rejection_rate=0.5, error_rate=0.5) -> EarlyStopRule:
    return EarlyStopRule("local", window, rejection_rate, error_rate)


REJECTED = RecordOutcome(("schema",))
ACCEPTED = RecordOutcome()


def test_the_job_stops_when_the_rejection_rate_passes_the_threshold(run_openai, fake_openai):
    # The first batch: 5 of 5 rejected; the second: 1 of 5. The window of 10 holds 6 rejected: 60 % > 50 %.
    fake_openai.script(*[Reply(NOT_JSON)] * 6)

    job = run_openai(record_count=40)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == EARLY_STOP_REJECTED.format(
        count=6, window=10, rate=0.6, limit=0.5, profile="local", reasons="malformed_reply (6)"
    )
    assert job.error == (
        "Early stop: 6 of the last 10 records were rejected (60%, above the early_stop_rejection_rate 50% "
        "of profile 'local'); most common reasons: malformed_reply (6)"
    )


def test_an_early_stop_keeps_every_record_it_processed_once(run_openai, fake_openai):
    fake_openai.script(*[Reply(NOT_JSON)] * 6)

    job = run_openai(record_count=40)

    assert job.processed_records == 10
    assert (job.rejected_records, job.accepted_records + job.duplicate_records) == (6, 4)
    assert RejectedArtifact.objects.filter(job=job).count() == 6
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    # The third batch was generated while the second committed; the stop dropped it, uncommitted.
    assert len(fake_openai.received) == 10 + BATCH
    assert JobShard.objects.get(job=job).status == JobShard.Status.STOPPED


def test_no_early_stop_at_the_threshold(run_openai, fake_openai):
    # 5 of the window's 10 records rejected is 50 %: at the threshold, not past it.
    fake_openai.script(*[Reply(NOT_JSON)] * 5)

    job = run_openai(record_count=20)

    assert (job.status, job.rejected_records) == (GenerationJob.Status.SUCCEEDED, 5)


def test_no_early_stop_before_the_window_is_full(run_openai, fake_openai):
    fake_openai.fallback = Reply(NOT_JSON)

    job = run_openai(record_count=9)

    assert (job.status, job.rejected_records) == (GenerationJob.Status.SUCCEEDED, 9)


def test_a_profile_without_rates_never_stops_early(run_openai, fake_openai, profile):
    profile.early_stop_rejection_rate = None
    profile.early_stop_error_rate = None
    profile.save()
    fake_openai.fallback = Reply(NOT_JSON)

    job = run_openai(record_count=20)

    assert (job.status, job.rejected_records) == (GenerationJob.Status.SUCCEEDED, 20)


def test_the_job_stops_when_the_error_rate_passes_the_threshold(run_openai, fake_openai, profile):
    # One request at a time: every record's first attempt meets a 500, its retry gets a reply.
    profile.concurrency = 1
    profile.save()
    fake_openai.script(*[Error(500, "overloaded"), Answer()] * 20)

    job = run_openai(record_count=40)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == EARLY_STOP_ERRORS.format(
        count=10, window=10, rate=1.0, limit=0.5, profile="local", reasons="HTTP 500 (10)"
    )
    # Batches of 4 (4 rounds of 1 request): the window of 10 is full after the third.
    assert (job.processed_records, job.accepted_records + job.duplicate_records, job.rejected_records) == (12, 12, 0)


def test_throttling_is_no_error_for_the_early_stop(run_openai, fake_openai, profile):
    profile.concurrency = 1
    profile.save()
    fake_openai.script(*[Error(429, "slow down"), Answer()] * 10)

    job = run_openai(record_count=10)

    assert job.status == GenerationJob.Status.SUCCEEDED


def test_the_window_gives_no_verdict_until_it_is_full():
    window = EarlyStopWindow(rule(window=4))

    assert window.observe([REJECTED] * 3) == ""


def test_the_window_measures_only_its_last_n_records():
    window = EarlyStopWindow(rule(window=4))
    window.observe([REJECTED] * 4 + [ACCEPTED] * 2)

    assert window.observe([ACCEPTED]) == ""


def test_duplicates_and_accepted_records_are_no_rejections():
    window = EarlyStopWindow(rule(window=4, rejection_rate=0.0))

    assert window.observe([ACCEPTED] * 4) == ""


def test_the_message_lists_the_three_most_common_reasons_each_once_per_record():
    window = EarlyStopWindow(rule(window=6, rejection_rate=0.5))
    records = [
        RecordOutcome(("schema", "schema")),
        RecordOutcome(("schema",)),
        RecordOutcome(("schema",)),
        RecordOutcome(("pii",)),
        RecordOutcome(("completeness",)),
        RecordOutcome(("malformed_reply",)),
    ]

    message = window.observe(records)

    assert message.endswith("most common reasons: schema (3), pii (1), completeness (1)")


def test_a_429_or_409_is_not_an_error_but_a_timeout_is():
    assert RecordOutcome((), ("HTTP 429", "HTTP 409", "timeout", "HTTP 502")).errors == ("timeout", "HTTP 502")


def test_the_rule_is_off_when_the_profile_sets_no_rate(db):
    profile = GeneratorProfile(name="off", early_stop_rejection_rate=None, early_stop_error_rate=None)

    assert EarlyStopRule.from_profile(profile) is None


def test_a_rate_exactly_at_the_threshold_does_not_stop():
    window = EarlyStopWindow(rule(window=4, rejection_rate=0.5))

    assert window.observe([REJECTED, REJECTED, ACCEPTED, ACCEPTED]) == ""


def test_a_rate_past_the_threshold_stops_with_the_rate_the_window_and_the_reasons():
    window = EarlyStopWindow(rule(window=4, rejection_rate=0.5))

    message = window.observe([REJECTED, REJECTED, REJECTED, ACCEPTED])

    assert message == EARLY_STOP_REJECTED.format(
        count=3, window=4, rate=0.75, limit=0.5, profile="local", reasons="schema (3)"
    )
