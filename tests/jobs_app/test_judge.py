"""The optional LLM judge against a real OpenAI-compatible HTTP server on 127.0.0.1."""

import hashlib
import json

import pytest
from django.urls import reverse

from jobs_app.judge import LLM_JUDGE_SCORE, parse_verdict
from jobs_app.models import GenerationJob, GeneratorProfile
from jobs_app.services import job_trigger
from qa_app.assessment.scoring import components_for, quality
from qa_app.models import QAPair
from synthgov.errors import InvalidInput
from templates_app.files import export_templates, import_templates, read_documents
from templates_app.models import CONTENT_FIELDS, PromptTemplate, TemplateVersion
from templates_app.services import template_version_new_draft

from .conftest import FOUR_COMBINATIONS
from .fake_openai import JUDGE_SCORE, Error, Reply, Stall, closed_port, is_judge_request

pytestmark = pytest.mark.usefixtures("small_batches")

KEY_VARIABLE = "SYNTHGOV_TEST_JUDGE_KEY"
RUBRIC = "The answer is the correct sum of the two numbers in the question, with nothing else."


@pytest.fixture
def judge_profile(fake_profile):
    return fake_profile(name="judge", model="judge-model", temperature=0, max_retries=1)


@pytest.fixture
def judged_version(publish):
    return publish(judge_rubric=RUBRIC)


@pytest.fixture
def run_judged(run_job, judged_version, judge_profile):
    def run(record_count: int = 6, version=None, **request):
        return run_job(
            version or judged_version,
            record_count=record_count,
            generator_config={"judge_profile": "judge"},
            **request,
        )

    return run


def judge_failures(job) -> list[str]:
    return [
        flag["message"]
        for flags in QAPair.objects.filter(job=job).values_list("flags", flat=True)
        for flag in flags
        if flag["code"] == "judge_failed"
    ]


def test_a_judged_template_job_stores_score_and_rationale_marked_model_made(run_judged):
    job = run_judged(record_count=6)

    assert job.status == GenerationJob.Status.SUCCEEDED
    pairs = list(QAPair.objects.filter(job=job))
    assert len(pairs) == 6
    for pair in pairs:
        assert pair.scores[LLM_JUDGE_SCORE] == {
            "score": JUDGE_SCORE,
            "rationale": f"The answer {pair.answer} follows the rubric.",
            "model": "judge-model",
            "made_by": "model",
            "profile": "judge",
        }
        assert pair.flags == []


def test_the_judge_receives_the_rubric_and_the_pair(run_judged, fake_openai):
    job = run_judged(record_count=1)

    pair = QAPair.objects.get(job=job)
    (request,) = fake_openai.received
    system, user = request.body["messages"]
    assert RUBRIC in system["content"]
    assert json.loads(user["content"]) == {"question": pair.question, "answer": pair.answer, "context": ""}
    assert request.body["model"] == "judge-model"
    assert request.body["response_format"]["json_schema"]["name"] == "verdict"


def test_without_structured_output_the_verdict_schema_goes_into_the_system_message(
    run_judged, fake_openai, judge_profile
):
    judge_profile.structured_output = False
    judge_profile.save()

    job = run_judged(record_count=1)

    (request,) = fake_openai.received
    assert request.body["response_format"] == {"type": "json_object"}
    assert '"rationale"' in request.body["messages"][0]["content"]
    assert QAPair.objects.get(job=job).scores[LLM_JUDGE_SCORE]["score"] == JUDGE_SCORE


def test_the_judge_score_is_not_part_of_the_quality_score(run_judged):
    job = run_judged(record_count=3)

    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 3
    for pair in pairs:
        assert LLM_JUDGE_SCORE in pair.scores
        record = {"question": pair.question, "answer": pair.answer, "context": pair.context}
        assert pair.quality_score == quality(components_for(record, pair.flags))[0]


def test_judge_usage_goes_into_the_pair_metadata_and_the_manifest(run_judged):
    job = run_judged(record_count=4)

    metadata = list(QAPair.objects.filter(job=job).values_list("metadata", flat=True))
    assert len(metadata) == 4
    assert all(m["judge_usage"]["prompt_tokens"] > 0 and m["judge_usage"]["completion_tokens"] > 0 for m in metadata)
    usage = job.output_manifest["judge_usage"]
    assert usage["requests"] == 4
    assert usage["prompt_tokens"] == sum(m["judge_usage"]["prompt_tokens"] for m in metadata)
    assert usage["completion_tokens"] == sum(m["judge_usage"]["completion_tokens"] for m in metadata)


def test_jobs_without_a_judge_report_no_judge_usage(approved_version, run_job):
    job = run_job(approved_version, record_count=2)

    assert job.output_manifest["judge_usage"] is None


def test_the_judge_never_changes_the_review_status(run_judged, fake_openai):
    fake_openai.script(Reply(json.dumps({"score": 1, "rationale": "perfect"})), Reply("not json"))

    job = run_judged(record_count=4)

    assert set(QAPair.objects.filter(job=job).values_list("review_status", flat=True)) == {"pending"}


def test_without_a_judge_profile_no_request_is_made(approved_version, run_job, fake_openai, judge_profile):
    job = run_job(approved_version, record_count=4)

    assert job.accepted_records == 4
    assert fake_openai.received == []
    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 4
    assert all(LLM_JUDGE_SCORE not in pair.scores for pair in pairs)


def test_exact_duplicates_are_not_judged(run_judged, publish, fake_openai):
    version = publish(judge_rubric=RUBRIC, variables=FOUR_COMBINATIONS)

    job = run_judged(record_count=10, version=version)

    assert job.accepted_records == 4
    assert len(fake_openai.received) == 4


def test_a_malformed_judge_reply_keeps_the_pair_flagged_for_a_person(run_judged, fake_openai):
    fake_openai.script(Reply("The pair looks fine to me"))

    job = run_judged(record_count=1)

    assert job.status == GenerationJob.Status.SUCCEEDED
    pair = QAPair.objects.get(job=job)
    assert pair.review_status == "pending"
    assert LLM_JUDGE_SCORE not in pair.scores
    assert judge_failures(job) == [
        "judge profile 'judge': the reply is not valid JSON: Expecting value: line 1 column 1 (char 0)"
    ]


def test_a_judge_score_outside_0_to_1_keeps_the_pair_flagged(run_judged, fake_openai):
    fake_openai.script(Reply(json.dumps({"score": 7, "rationale": "great"})))

    job = run_judged(record_count=1)

    assert judge_failures(job) == ["judge profile 'judge': the reply's score 7 is outside 0..1"]


def test_judge_http_500_after_retries_keeps_the_pairs_flagged_and_the_job_succeeds(
    run_judged, fake_openai, judge_profile
):
    fake_openai.fallback = Error(500, "judge crashed")

    job = run_judged(record_count=3)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records == 3
    failures = judge_failures(job)
    assert len(failures) == 3
    first = (
        f"openai profile 'judge': POST {judge_profile.base_url}/chat/completions: HTTP 500: judge crashed after 1 retry"
    )
    assert first in failures
    assert all(message == first or message.startswith("not sent, an earlier judge") for message in failures)


def test_judge_connection_refused_keeps_the_pairs_flagged_and_the_job_succeeds(run_judged, judge_profile):
    judge_profile.base_url = f"http://127.0.0.1:{closed_port()}/v1"
    judge_profile.save()

    job = run_judged(record_count=3)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records == 3
    failures = judge_failures(job)
    assert len(failures) == 3
    assert any("connection refused after 1 retry" in message for message in failures)
    assert set(QAPair.objects.filter(job=job).values_list("review_status", flat=True)) == {"pending"}


def test_a_judge_timeout_keeps_the_pair_flagged_and_the_job_succeeds(run_judged, fake_openai, judge_profile):
    judge_profile.timeout_seconds = 0.2
    judge_profile.max_retries = 0
    judge_profile.save()
    fake_openai.script(Stall(0.6))

    job = run_judged(record_count=1)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert judge_failures(job) == [
        f"openai profile 'judge': POST {judge_profile.base_url}/chat/completions: no reply within 0.2 s"
    ]


def test_a_judge_profile_deleted_after_the_trigger_flags_the_pairs(
    judged_version, judge_profile, django_capture_on_commit_callbacks, job_request, operator
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job, _ = job_trigger(
            request=job_request(
                template_version=judged_version, record_count=2, generator_config={"judge_profile": "judge"}
            ),
            acting_user=operator,
        )
    judge_profile.delete()
    for callback in queued:
        callback()
    job.refresh_from_db()

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert judge_failures(job) == ["no generator profile named 'judge' to judge with (deleted since the trigger?)"] * 2


def test_an_openai_job_can_be_judged_by_another_profile(run_job, publish, fake_openai, judge_profile):
    GeneratorProfile.objects.create(name="writer", base_url=fake_openai.base_url, model="writer-model")
    version = publish(prompt="What is {{ a }} plus {{ b }}?", judge_rubric=RUBRIC)

    job = run_job(
        version, record_count=2, generator="openai", generator_config={"profile": "writer", "judge_profile": "judge"}
    )

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert [is_judge_request(request.body) for request in fake_openai.received].count(True) == 2
    pairs = list(QAPair.objects.filter(job=job))
    assert len(pairs) == 2
    for pair in pairs:
        assert pair.metadata["model"] == "writer-model"
        assert pair.scores[LLM_JUDGE_SCORE]["model"] == "judge-model"


def test_trigger_refuses_an_unknown_judge_profile(job_request, operator, judged_version, judge_profile):
    with pytest.raises(
        InvalidInput, match="judge_profile: no generator profile named 'nope'; profiles: judge"
    ) as refused:
        job_trigger(
            request=job_request(template_version=judged_version, generator_config={"judge_profile": "nope"}),
            acting_user=operator,
        )

    assert refused.value.field == "generator_config"


def test_trigger_refuses_a_judge_on_a_version_without_a_rubric(job_request, operator, approved_version, judge_profile):
    with pytest.raises(InvalidInput, match="has no judge_rubric for the judge to score against") as refused:
        job_trigger(request=job_request(generator_config={"judge_profile": "judge"}), acting_user=operator)

    assert refused.value.field == "generator_config"


def test_trigger_refuses_a_judge_profile_whose_key_variable_is_not_set(
    job_request, operator, judged_version, judge_profile, monkeypatch
):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    judge_profile.api_key_env = KEY_VARIABLE
    judge_profile.save()

    with pytest.raises(InvalidInput, match=f"judge_profile: environment variable {KEY_VARIABLE}") as refused:
        job_trigger(
            request=job_request(template_version=judged_version, generator_config={"judge_profile": "judge"}),
            acting_user=operator,
        )

    assert refused.value.field == "generator_config"


def test_trigger_still_refuses_other_generator_config_for_the_template_backend(job_request, operator, judge_profile):
    with pytest.raises(InvalidInput, match="the template generator takes no generator_config but judge_profile"):
        job_trigger(request=job_request(generator_config={"judge_profile": "judge", "seed": 2}), acting_user=operator)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "the reply is empty"),
        ("[0.5]", "the reply is a JSON list, not an object"),
        ('{"score": "high", "rationale": "x"}', 'the reply\'s score must be a number from 0 to 1; got "high"'),
        ('{"score": true, "rationale": "x"}', "the reply's score must be a number from 0 to 1; got true"),
        ('{"score": -0.1, "rationale": "x"}', "the reply's score -0.1 is outside 0..1"),
        ('{"score": 0.5}', "the reply's rationale must be non-empty text; got null"),
    ],
)
def test_malformed_verdicts_say_what_is_wrong(content, problem):
    assert parse_verdict(content) == (None, problem)


def test_pair_admin_shows_the_judgement_labelled_model_made(run_judged, client, superuser_factory):
    job = run_judged(record_count=1)
    pair = QAPair.objects.get(job=job)
    client.force_login(superuser_factory())

    page = client.get(reverse("admin:qa_app_qapair_change", args=[pair.pk])).content.decode()

    assert "Model-made (LLM judge)" in page
    assert f"The answer {pair.answer} follows the rubric." in page


def test_trigger_form_runs_a_judged_job_with_the_chosen_judge_profile(
    client, operator, judged_version, judge_profile, django_capture_on_commit_callbacks
):
    client.force_login(operator)
    form = {
        "template_version": judged_version.pk,
        "record_count": 2,
        "seed": 1,
        "locale": "en",
        "tenant_id": "acme",
        "target_surface": "training",
        "production": "on",
        "judge_profile": "judge",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:jobs_app_generationjob_trigger"), form)

    assert response.status_code == 302
    job = GenerationJob.objects.get()
    assert (job.generator, job.generator_config) == ("template", {"judge_profile": "judge"})
    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 2
    assert all(LLM_JUDGE_SCORE in pair.scores for pair in pairs)


# The rubric is template content.


def test_an_empty_rubric_leaves_the_content_hash_as_before_the_judge(approved_version):
    content = {name: getattr(approved_version, name) for name in CONTENT_FIELDS if name != "judge_rubric"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert approved_version.content_sha256 == hashlib.sha256(canonical.encode()).hexdigest()


def test_a_rubric_is_part_of_the_content_hash(draft_version):
    before = draft_version.content_sha256
    draft_version.judge_rubric = RUBRIC
    draft_version.save()

    assert draft_version.content_sha256 != before


def test_new_draft_copies_the_rubric(judged_version, author):
    draft = template_version_new_draft(version=judged_version, acting_user=author)

    draft.refresh_from_db()
    assert draft.judge_rubric == RUBRIC
    assert draft.content_sha256 == judged_version.content_sha256


def test_the_rubric_round_trips_through_the_template_files(judged_version, author, tmp_path):
    export_templates(tmp_path)
    TemplateVersion.objects.all().delete()
    PromptTemplate.objects.all().delete()

    import_templates(read_documents(tmp_path), acting_user=author)

    imported = TemplateVersion.objects.get()
    assert imported.judge_rubric == RUBRIC
    assert imported.content_sha256 == judged_version.content_sha256
