"""A backend that waits on a network has the next batch generated while the current one commits.

Every batch still commits in order from the shard's thread; a stop (cancel, early stop, failure)
after a batch drops the batch generated ahead of it. Events, not timings, put the two threads in
the order each test needs.
"""

import threading

import pytest
from django.db import connections

from jobs_app.generators import BackendUnavailable
from jobs_app.generators.openai_chat import OpenAIChatGenerator
from jobs_app.generators.template import TemplateGenerator
from jobs_app.models import DuplicateRecord, GenerationJob, GeneratorProfile, JobShard, RejectedArtifact
from jobs_app.services import execution, job_cancel
from qa_app.models import QAPair

from .fake_openai import Answer, Error, Reply

PROMPT = "What is {{ a }} plus {{ b }}?"
NOT_JSON = "Sorry, I cannot help with that."
BATCH = 5
# Long enough never to be reached when the code is right; keeps a broken run from hanging.
NEVER = 30


@pytest.fixture
def profile(fake_profile):
    return fake_profile(early_stop_rejection_rate=None, early_stop_error_rate=None)


@pytest.fixture
def version(publish, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = BATCH
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = 1000
    return publish(prompt=PROMPT)


@pytest.fixture
def run_openai(run_job, version, profile):
    def run(record_count: int):
        return run_job(version, record_count=record_count, generator="openai", generator_config={"profile": "local"})

    return run


def outcome_indexes(job: GenerationJob) -> list[int]:
    """The record index of every outcome the job stored (pairs, rejected artifacts, duplicates), sorted."""
    indexes = [
        *QAPair.objects.filter(job=job).values_list("record_index", flat=True),
        *RejectedArtifact.objects.filter(job=job).values_list("record_index", flat=True),
        *DuplicateRecord.objects.filter(job=job).values_list("record_index", flat=True),
    ]
    return sorted(indexes)


def failure(profile: GeneratorProfile, detail: str) -> str:
    return f"BackendUnavailable: openai profile 'local': POST {profile.base_url}/chat/completions: {detail}"


def test_every_record_index_gets_exactly_one_outcome_when_batches_are_generated_ahead(run_openai, fake_openai):
    job = run_openai(record_count=23)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert (job.processed_records, outcome_indexes(job)) == (23, list(range(23)))
    assert len(fake_openai.received) == 23


def test_an_llm_backend_generates_its_batches_outside_the_shards_thread(run_openai, monkeypatch):
    threads = []
    send = OpenAIChatGenerator.generate_many

    def generate_many_noting_the_thread(self, items):
        threads.append(threading.current_thread())
        return send(self, items)

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_noting_the_thread)

    run_openai(record_count=12)

    assert len(threads) == 3
    assert threading.main_thread() not in threads


def test_the_template_backend_generates_in_the_shards_thread(run_job, approved_version, monkeypatch, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = BATCH
    threads = []
    render = TemplateGenerator.generate_many

    def generate_many_noting_the_thread(self, items):
        threads.append(threading.current_thread())
        return render(self, items)

    monkeypatch.setattr(TemplateGenerator, "generate_many", generate_many_noting_the_thread)

    run_job(approved_version, record_count=12)

    assert threads == [threading.main_thread()] * 3


def test_a_job_cancelled_while_a_batch_is_generated_ahead_commits_nothing_of_it(
    run_openai, fake_openai, operator, monkeypatch
):
    cancelled = threading.Event()
    send = OpenAIChatGenerator.generate_many
    calls = []

    def generate_many_holding_the_second_batch(self, items):
        calls.append(items)
        if len(calls) == 2:
            # The batch ahead is under way while the first batch commits and the operator cancels.
            cancelled.wait(NEVER)
        return send(self, items)

    commit = execution._commit_batch

    def commit_then_cancel(processor, shard, *batch):
        outcome = commit(processor, shard, *batch)
        if not cancelled.is_set():
            job_cancel(job=shard.job, acting_user=operator)
            cancelled.set()
        return outcome

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_holding_the_second_batch)
    monkeypatch.setattr(execution, "_commit_batch", commit_then_cancel)

    job = run_openai(record_count=20)

    assert job.status == GenerationJob.Status.CANCELLED
    assert (job.processed_records, outcome_indexes(job)) == (BATCH, list(range(BATCH)))
    assert job.accepted_records + job.rejected_records + job.duplicate_records == BATCH
    # Requested: the first batch, the second (under way at the cancel, found cancelled at its commit) and
    # the third, generated ahead while the second was found cancelled; nothing after it.
    assert len(fake_openai.received) == 3 * BATCH
    assert JobShard.objects.get(job=job).status == JobShard.Status.STOPPED


def test_an_early_stop_keeps_exactly_the_committed_records_and_drops_the_batch_generated_ahead(
    run_openai, fake_openai, profile
):
    profile.early_stop_window = 10
    profile.early_stop_rejection_rate = 0.5
    profile.save()
    # Batches of 5: the first all rejected, the second 1 of 5; the window of 10 then holds 6 (60 % > 50 %).
    fake_openai.script(*[Reply(NOT_JSON)] * 6)

    job = run_openai(record_count=40)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error.startswith("Early stop: 6 of the last 10 records were rejected")
    assert (job.processed_records, outcome_indexes(job)) == (10, list(range(10)))
    assert (job.rejected_records, job.accepted_records + job.duplicate_records) == (6, 4)
    # The third batch was requested while the second committed, then dropped.
    assert len(fake_openai.received) == 3 * BATCH


def test_a_failure_while_generating_ahead_fails_the_job_with_the_backends_message_at_its_turn(
    run_openai, fake_openai, profile, monkeypatch
):
    fake_openai.script(*[Answer()] * BATCH)
    fake_openai.fallback = Error(500, "model crashed")
    failed_ahead = threading.Event()
    send = OpenAIChatGenerator.generate_many

    def generate_many_noting_the_failure(self, items):
        try:
            return send(self, items)
        except BackendUnavailable:
            failed_ahead.set()
            raise

    commit = execution._commit_batch

    def commit_once_the_batch_ahead_failed(processor, shard, *batch):
        failed_ahead.wait(NEVER)
        return commit(processor, shard, *batch)

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_noting_the_failure)
    monkeypatch.setattr(execution, "_commit_batch", commit_once_the_batch_ahead_failed)

    job = run_openai(record_count=20)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == failure(profile, "HTTP 500: model crashed after 2 retries")
    # The first batch, whose turn came before the failure's, is committed.
    assert (job.processed_records, outcome_indexes(job)) == (BATCH, list(range(BATCH)))


def test_the_shards_concurrency_log_leaves_out_a_dropped_batch(run_openai, fake_openai, profile, monkeypatch):
    profile.early_stop_window = 10
    profile.early_stop_rejection_rate = 0.5
    profile.save()
    # Two batches end in an early stop; the third, generated ahead, meets a 500 (then a reply on retry).
    fake_openai.script(*[Reply(NOT_JSON)] * 6, *[Answer()] * 4, Error(500, "overloaded"))
    generated = []
    third_batch_generated = threading.Event()
    send = OpenAIChatGenerator.generate_many

    def generate_many_noting_the_third(self, items):
        try:
            return send(self, items)
        finally:
            generated.append(items)
            if len(generated) == 3:
                third_batch_generated.set()

    commit = execution._commit_batch

    def commit_the_second_batch_after_the_third_was_generated(processor, shard, start, *rest):
        if start == BATCH:
            third_batch_generated.wait(NEVER)
        return commit(processor, shard, start, *rest)

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_noting_the_third)
    monkeypatch.setattr(execution, "_commit_batch", commit_the_second_batch_after_the_third_was_generated)

    job = run_openai(record_count=40)

    assert (job.status, job.processed_records) == (GenerationJob.Status.FAILED, 10)
    log = JobShard.objects.get(job=job).concurrency_log
    assert log["faults"] == {}
    assert [point["reason"] for point in log["series"]] == ["start"]


def test_the_generating_threads_database_connection_is_closed_when_the_shard_run_ends(run_openai, monkeypatch):
    wrappers = []
    send = OpenAIChatGenerator.generate_many

    def generate_many_noting_the_connection(self, items):
        wrappers.append(connections["default"])
        return send(self, items)

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_noting_the_connection)

    run_openai(record_count=12)

    (wrapper,) = set(wrappers)
    assert wrapper is not connections["default"]
    assert wrapper.connection is None
