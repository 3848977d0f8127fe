"""The `openai` generator backend against a real OpenAI-compatible HTTP server on 127.0.0.1."""

import json
import threading
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from jobs_app.generators import rate
from jobs_app.generators.openai_chat import LLM_ROUNDS_PER_BATCH, OpenAIChatGenerator
from jobs_app.models import GenerationJob, GeneratorProfile, RejectedArtifact
from jobs_app.services import job_trigger
from qa_app.models import QAPair
from synthgov.errors import InvalidInput

from .fake_openai import Answer, Error, Reply, Stall, closed_port

pytestmark = pytest.mark.usefixtures("small_batches")

PROMPT = "What is {{ a }} plus {{ b }}?"
KEY_VARIABLE = "SYNTHGOV_TEST_OPENAI_KEY"
SECRET = "sk-test-never-stored-3141"


@pytest.fixture
def profile(fake_profile):
    return fake_profile()


@pytest.fixture
def llm_version(publish):
    return publish(prompt=PROMPT)


@pytest.fixture
def run_openai(run_job, llm_version, profile):
    def run(record_count: int = 6, **config):
        return run_job(
            llm_version, record_count=record_count, generator="openai", generator_config={"profile": "local", **config}
        )

    return run


def failure(profile: GeneratorProfile, detail: str) -> str:
    """The job error a failed request leaves."""
    return f"BackendUnavailable: openai profile 'local': POST {profile.base_url}/chat/completions: {detail}"


def test_openai_job_turns_each_reply_into_a_pending_pair(run_openai):
    job = run_openai(record_count=6)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records == 6
    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 6
    for pair in pairs:
        a, b = pair.lineage["variables"]["a"], pair.lineage["variables"]["b"]
        assert pair.question == f"What is {a} plus {b}?"
        assert pair.answer == str(a + b)
        assert pair.metadata["prompt"] == pair.question


def test_pairs_carry_token_usage_latency_and_model(run_openai):
    job = run_openai(record_count=3)

    pairs = list(QAPair.objects.filter(job=job))
    assert len(pairs) == job.accepted_records > 0
    for pair in pairs:
        assert pair.metadata["model"] == "fake-model"
        assert pair.metadata["usage"]["prompt_tokens"] > 0
        assert pair.metadata["usage"]["completion_tokens"] > 0
        assert pair.metadata["latency_ms"] >= 0


def test_output_manifest_sums_usage_over_the_job(run_openai):
    job = run_openai(record_count=6)

    usage = job.output_manifest["generator_usage"]
    metadata = list(QAPair.objects.filter(job=job).values_list("metadata", flat=True))
    assert usage["requests"] == 6
    assert usage["prompt_tokens"] == sum(m["usage"]["prompt_tokens"] for m in metadata)
    assert usage["completion_tokens"] == sum(m["usage"]["completion_tokens"] for m in metadata)
    assert usage["mean_latency_ms"] == pytest.approx(sum(m["latency_ms"] for m in metadata) / 6, abs=0.1)


def test_template_jobs_report_no_generator_usage(approved_version, run_job):
    job = run_job(approved_version, record_count=3)

    assert job.output_manifest["generator_usage"] is None


def test_malformed_json_becomes_a_rejected_artifact_with_the_raw_reply(run_openai, fake_openai):
    fake_openai.script(Reply("The answer is {not json"))

    job = run_openai(record_count=4)

    assert (job.status, job.accepted_records, job.rejected_records) == (GenerationJob.Status.SUCCEEDED, 3, 1)
    artifact = RejectedArtifact.objects.get(job=job)
    assert artifact.payload["raw"] == "The answer is {not json"
    assert [reason["code"] for reason in artifact.reasons] == ["malformed_reply"]
    assert artifact.reasons[0]["message"].startswith("the reply is not valid JSON")
    assert artifact.payload["metadata"]["usage"]["completion_tokens"] == 5


def test_a_reply_without_the_record_fields_is_malformed(run_openai, fake_openai):
    fake_openai.script(Reply('{"text": "42"}'))

    job = run_openai(record_count=2)

    artifact = RejectedArtifact.objects.get(job=job)
    assert artifact.reasons == [{"code": "malformed_reply", "message": "the reply has no question and no answer"}]


def test_a_reply_cut_at_max_tokens_says_so(run_openai, fake_openai):
    fake_openai.script(Reply('{"question": "What is', finish_reason="length"))

    job = run_openai(record_count=1, max_tokens=3)

    message = RejectedArtifact.objects.get(job=job).reasons[0]["message"]
    assert message.endswith("(cut off at max_tokens=3)")


def test_off_schema_reply_is_rejected_with_a_schema_reason_and_the_raw_reply(run_openai, fake_openai):
    raw = '{"question": "What is 1 plus 2?", "answer": "three"}'
    fake_openai.script(Reply(raw))

    job = run_openai(record_count=3)

    artifact = RejectedArtifact.objects.get(job=job)
    assert [reason["code"] for reason in artifact.reasons] == ["schema"]
    assert artifact.payload["raw"] == raw
    assert artifact.payload["answer"] == "three"
    assert job.output_manifest["generator_usage"]["requests"] == 3


def test_rate_limited_request_is_retried_after_retry_after(run_openai, fake_openai):
    fake_openai.script(Error(429, "slow down", retry_after="0.1"))

    job = run_openai(record_count=3)

    assert (job.status, job.accepted_records) == (GenerationJob.Status.SUCCEEDED, 3)
    assert len(fake_openai.received) == 4


def test_server_error_is_retried_then_succeeds(run_openai, fake_openai):
    fake_openai.script(Error(503), Error(500))

    job = run_openai(record_count=3)

    assert (job.status, job.accepted_records) == (GenerationJob.Status.SUCCEEDED, 3)
    assert len(fake_openai.received) == 5


def test_persistent_server_error_fails_the_job_readably_and_keeps_earlier_batches(run_openai, fake_openai, profile):
    fake_openai.script(*[Answer()] * 5)
    fake_openai.fallback = Error(500, "model crashed")

    job = run_openai(record_count=10)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == failure(profile, "HTTP 500: model crashed after 2 retries")
    assert (job.processed_records, job.accepted_records) == (5, 5)
    assert QAPair.objects.filter(job=job).count() == 5


def test_unauthorized_fails_the_job_without_retrying(run_openai, fake_openai, profile):
    fake_openai.fallback = Error(401, "Incorrect API key provided", retry_after=None)
    profile.concurrency = 1
    profile.save()

    job = run_openai(record_count=3)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == failure(profile, "HTTP 401: Incorrect API key provided")
    assert len(fake_openai.received) == 1


def test_timeout_is_retried_then_succeeds(run_openai, fake_openai, profile):
    profile.timeout_seconds = 0.2
    profile.save()
    fake_openai.script(Stall(0.6))

    job = run_openai(record_count=2)

    assert (job.status, job.accepted_records) == (GenerationJob.Status.SUCCEEDED, 2)
    assert len(fake_openai.received) == 3


def test_persistent_timeout_fails_the_job_readably(run_openai, fake_openai, profile):
    profile.timeout_seconds = 0.2
    profile.max_retries = 1
    profile.save()
    fake_openai.fallback = Stall(0.6)

    job = run_openai(record_count=2)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == failure(profile, "no reply within 0.2 s after 1 retry")


def test_connection_refused_fails_the_job_readably(run_openai, profile):
    profile.base_url = f"http://127.0.0.1:{closed_port()}/v1"
    profile.max_retries = 1
    profile.save()

    job = run_openai(record_count=2)

    assert job.status == GenerationJob.Status.FAILED
    assert job.error == failure(profile, "connection refused after 1 retry")


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"profile": "nowhere"}, "no generator profile named 'nowhere'; profiles: local"),
        ({}, "the openai generator needs a profile"),
        ({"profile": "local", "temperature": 7}, "temperature must be a number from 0 to 2; got 7"),
        ({"profile": "local", "max_tokens": 2.5}, "max_tokens must be a whole number from 1 to 1000000; got 2.5"),
        ({"profile": "local", "seed": 1}, "unknown key(s) seed"),
    ],
)
def test_trigger_refuses_a_bad_generator_config(job_request, operator, llm_version, profile, config, problem):
    request = job_request(template_version=llm_version, generator="openai", generator_config=config)

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=request, acting_user=operator)

    assert refused.value.field == "generator_config"
    assert problem in refused.value.message


def test_trigger_refuses_a_profile_whose_key_variable_is_not_set(
    job_request, operator, llm_version, profile, monkeypatch
):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    profile.api_key_env = KEY_VARIABLE
    profile.save()
    request = job_request(template_version=llm_version, generator="openai", generator_config={"profile": "local"})

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=request, acting_user=operator)

    assert refused.value.field == "generator_config"
    assert f"environment variable {KEY_VARIABLE} (the API key of profile 'local') is not set" in refused.value.message


def test_trigger_refuses_a_version_without_a_prompt(job_request, operator, approved_version, profile):
    request = job_request(template_version=approved_version, generator="openai", generator_config={"profile": "local"})

    with pytest.raises(InvalidInput, match="has no prompt") as refused:
        job_trigger(request=request, acting_user=operator)

    assert refused.value.field == "generator_config"


def test_trigger_refuses_generator_config_for_the_template_backend(job_request, operator):
    with pytest.raises(InvalidInput, match="the template generator takes no generator_config") as refused:
        job_trigger(request=job_request(generator_config={"profile": "local"}), acting_user=operator)

    assert refused.value.field == "generator_config"


def test_api_key_is_sent_as_bearer_from_the_environment(run_openai, fake_openai, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    profile.api_key_env = KEY_VARIABLE
    profile.save()

    run_openai(record_count=2)

    assert {request.headers["authorization"] for request in fake_openai.received} == {f"Bearer {SECRET}"}


def test_api_key_is_stored_nowhere(run_openai, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    profile.api_key_env = KEY_VARIABLE
    profile.save()

    job = run_openai(record_count=2)

    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert SECRET not in dump.getvalue()


def test_structured_output_asks_for_the_output_schema(run_openai, fake_openai, llm_version):
    run_openai(record_count=1, temperature=0.0, max_tokens=50)

    body = fake_openai.received[0].body
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["answer"] == {"type": "string", **llm_version.output_schema["properties"]["answer"]}
    assert schema["required"] == ["question", "answer"]
    assert [message["role"] for message in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == llm_version.system_prompt
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("fake-model", 0.0, 50)


def test_without_structured_output_the_schema_goes_into_the_system_message(run_openai, fake_openai, profile):
    profile.structured_output = False
    profile.save()

    job = run_openai(record_count=1)

    body = fake_openai.received[0].body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert '"pattern": "^[0-9]+$"' in system
    assert job.accepted_records == 1


def test_requests_per_minute_spaces_requests_evenly(monkeypatch):
    clock = {"now": 100.0}
    slept = []
    monkeypatch.setattr(rate.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(rate.time, "sleep", slept.append)
    limiter = rate.MinimumInterval(per_minute=120)

    for _ in range(3):
        limiter.wait()

    assert slept == [0.5, 1.0]


def test_reply_extra_fields_are_kept_in_the_metadata(run_openai, fake_openai):
    fake_openai.script(Reply(json.dumps({"question": "What is 2 plus 2?", "answer": "4", "difficulty": "easy"})))

    job = run_openai(record_count=1)

    assert QAPair.objects.get(job=job).metadata["reply_extra"] == {"difficulty": "easy"}


def test_trigger_form_runs_an_openai_job_with_the_chosen_profile(
    client, operator, llm_version, profile, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    form = {
        "template_version": llm_version.pk,
        "record_count": 3,
        "seed": 1,
        "locale": "en",
        "tenant_id": "acme",
        "target_surface": "training",
        "production": "on",
        "generator": "openai",
        "profile": "local",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:jobs_app_generationjob_trigger"), form)

    job = GenerationJob.objects.get()
    assert response.status_code == 302
    assert (job.generator, job.generator_config) == ("openai", {"profile": "local"})
    job.refresh_from_db()
    assert (job.status, job.accepted_records) == (GenerationJob.Status.SUCCEEDED, 3)


def test_profile_admin_shows_whether_the_key_variable_is_set(client, superuser_factory, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    profile.api_key_env = KEY_VARIABLE
    profile.save()
    client.force_login(superuser_factory())

    response = client.get(reverse("admin:jobs_app_generatorprofile_change", args=[profile.pk]))

    assert f"{KEY_VARIABLE} is set" in response.content.decode()
    assert SECRET not in response.content.decode()


def test_profile_admin_refuses_a_key_pasted_where_the_variable_name_goes(client, superuser_factory):
    client.force_login(superuser_factory())
    form = {
        "name": "pasted",
        "base_url": "http://127.0.0.1:8001/v1",
        "model": "m",
        "temperature": 0.7,
        "max_tokens": 100,
        "concurrency": 1,
        "timeout_seconds": 10,
        "max_retries": 1,
        "api_key_env": SECRET,
    }

    response = client.post(reverse("admin:jobs_app_generatorprofile_add"), form)

    assert response.status_code == 200
    assert "never the key itself" in response.content.decode()
    assert not GeneratorProfile.objects.filter(name="pasted").exists()


def test_requests_are_sent_outside_the_batch_transaction(run_openai, monkeypatch):
    baseline = len(connection.atomic_blocks)
    depths = []
    send = OpenAIChatGenerator.generate_many

    def generate_many_recording_the_depth(self, items):
        # The test's transaction wraps the shard's thread; the thread that generates ahead has its own connection.
        outer = baseline if threading.current_thread() is threading.main_thread() else 0
        depths.append(len(connection.atomic_blocks) - outer)
        return send(self, items)

    monkeypatch.setattr(OpenAIChatGenerator, "generate_many", generate_many_recording_the_depth)

    run_openai(record_count=10)

    assert depths == [0, 0]


def test_a_key_variable_missing_where_the_job_runs_fails_the_job_readably(
    job_request, operator, llm_version, profile, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    profile.api_key_env = KEY_VARIABLE
    profile.save()
    request = job_request(template_version=llm_version, generator="openai", generator_config={"profile": "local"})
    with django_capture_on_commit_callbacks() as queued:
        job, _ = job_trigger(request=request, acting_user=operator)
    monkeypatch.delenv(KEY_VARIABLE)

    for run in queued:
        run()

    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FAILED
    assert job.error == (
        f"BackendUnavailable: openai profile 'local': environment variable {KEY_VARIABLE} "
        "(the API key of profile 'local') is not set where the job runs"
    )


def test_an_llm_job_commits_every_few_rounds_of_concurrent_requests(run_openai, fake_openai, profile, settings):
    # Each committed batch is also a heartbeat: a slow model's shard must not look dead.
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 500
    fake_openai.script(*[Answer()] * (profile.concurrency * LLM_ROUNDS_PER_BATCH))
    fake_openai.fallback = Error(500, "model crashed")

    job = run_openai(record_count=40)

    assert job.status == GenerationJob.Status.FAILED
    assert job.processed_records == profile.concurrency * LLM_ROUNDS_PER_BATCH == 8


def test_a_profile_refuses_a_key_where_the_name_of_its_variable_belongs(db, profile):
    profile.api_key_env = SECRET

    with pytest.raises(ValidationError, match="never the key itself"):
        profile.full_clean()
