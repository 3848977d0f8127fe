"""/metrics: off without a token, 401/403 without the right one, and figures that match the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ
from prometheus_client.parser import text_string_to_metric_families

from jobs_app.models import GenerationJob, JobShard
from qa_app.models import QAPair, ReviewDecision
from synthgov import metrics
from synthgov.metrics import METRICS_OFF, TOKEN_MISSING, TOKEN_WRONG
from tests.factories import QAPairFactory, ReviewDecisionFactory

TOKEN = "s3cret-metrics-token-0123456789"


@pytest.fixture
def enabled(settings):
    settings.SYNTHGOV_METRICS_TOKEN = TOKEN


def scrape(client) -> dict:
    """{(sample name, frozenset(labels)): value} of a scrape."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def make_job(version, **fields) -> GenerationJob:
    status = fields.pop("status", GenerationJob.Status.PENDING)
    job = GenerationJob.objects.create(
        template_version=version,
        chapter_key=version.template.chapter.key,
        tenant_id="acme",
        record_count=100,
        target_surface="training",
        **fields,
    )
    GenerationJob.objects.filter(pk=job.pk).update(status=status)
    return job


def test_metrics_are_a_404_when_no_token_is_set(client, settings, db):
    settings.SYNTHGOV_METRICS_TOKEN = ""

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert (response.status_code, response.json()) == (404, {"detail": METRICS_OFF})


def test_metrics_without_a_token_are_a_401_that_asks_for_a_bearer_token(client, enabled):
    response = client.get("/metrics")

    assert (response.status_code, response.json()) == (401, {"detail": TOKEN_MISSING})
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_metrics_with_another_token_are_a_403(client, enabled):
    response = client.get("/metrics", headers={"Authorization": "Bearer another-token-of-enough-length"})

    assert (response.status_code, response.json()) == (403, {"detail": TOKEN_WRONG})


def test_a_staff_session_is_not_enough_for_metrics(client, enabled, operator):
    client.force_login(operator)

    assert client.get("/metrics").status_code == 401


def test_jobs_are_counted_by_status_and_generator(client, enabled, approved_version):
    make_job(approved_version, status=GenerationJob.Status.SUCCEEDED)
    make_job(approved_version, status=GenerationJob.Status.SUCCEEDED)
    make_job(approved_version, status=GenerationJob.Status.FAILED, generator="openai")

    samples = scrape(client)

    assert value(samples, "synthgov_jobs", status="succeeded", generator="template") == 2
    assert value(samples, "synthgov_jobs", status="failed", generator="openai") == 1
    assert value(samples, "synthgov_jobs", status="running", generator="template") is None


def test_records_are_counted_per_generator_and_outcome(client, enabled, approved_version):
    make_job(approved_version, accepted_records=70, rejected_records=20, duplicate_records=10)
    make_job(approved_version, accepted_records=5, rejected_records=1, duplicate_records=0)
    make_job(approved_version, generator="openai", accepted_records=3, rejected_records=4, duplicate_records=2)

    samples = scrape(client)

    assert value(samples, "synthgov_generated_records_total", generator="template", outcome="accepted") == 75
    assert value(samples, "synthgov_generated_records_total", generator="template", outcome="rejected") == 21
    assert value(samples, "synthgov_generated_records_total", generator="template", outcome="duplicate") == 10
    assert value(samples, "synthgov_generated_records_total", generator="openai", outcome="duplicate") == 2


def test_stale_shards_are_counted(client, enabled, approved_version, settings):
    settings.SYNTHGOV_SHARD_STALE_SECONDS = 300
    job = make_job(approved_version, status=GenerationJob.Status.RUNNING)
    long_ago = timezone.now() - timezone.timedelta(seconds=600)
    for index in range(3):
        JobShard.objects.create(
            job=job, index=index, start=index * 10, stop=index * 10 + 10, status="running", heartbeat_at=long_ago
        )
    JobShard.objects.create(job=job, index=3, start=30, stop=40, status="running", heartbeat_at=timezone.now())

    assert value(scrape(client), "synthgov_stale_shards") == 3


def test_queue_depth_counts_the_tasks_waiting_in_the_orm_broker(client, enabled, db):
    from django_q.conf import Conf

    for _ in range(4):
        OrmQ.objects.create(key=Conf.PREFIX, payload="x", lock=timezone.now() - timezone.timedelta(seconds=1))

    assert value(scrape(client), "synthgov_q2_queued_tasks") == 4


def test_pending_pairs_are_counted_per_tenant(client, enabled, db):
    QAPairFactory.create_batch(3, tenant_id="acme")
    QAPairFactory.create_batch(2, tenant_id="globex")
    QAPairFactory.create_batch(4, tenant_id="globex", review_status=QAPair.ReviewStatus.APPROVED)

    samples = scrape(client)

    assert value(samples, "synthgov_pending_pairs", tenant="acme") == 3
    assert value(samples, "synthgov_pending_pairs", tenant="globex") == 2


def test_review_decisions_are_counted_by_decision(client, enabled, db):
    ReviewDecisionFactory.create_batch(3)
    ReviewDecisionFactory.create_batch(2, decision=ReviewDecision.Decision.REJECT)
    ReviewDecisionFactory(decision=ReviewDecision.Decision.REJECT, is_adjudication=True)

    samples = scrape(client)

    assert value(samples, "synthgov_review_decisions_total", decision="approve", adjudication="false") == 3
    assert value(samples, "synthgov_review_decisions_total", decision="reject", adjudication="false") == 2
    assert value(samples, "synthgov_review_decisions_total", decision="reject", adjudication="true") == 1


def llm_job(version, profile: str, usage: dict, judge: tuple[str, dict] | None = None) -> GenerationJob:
    config = {"profile": profile}
    manifest = {"generator_usage": usage, "judge_usage": None}
    if judge:
        config["judge_profile"] = judge[0]
        manifest["judge_usage"] = judge[1]
    return make_job(
        version,
        generator="openai",
        generator_config=config,
        output_manifest=manifest,
        status=GenerationJob.Status.SUCCEEDED,
    )


def test_llm_tokens_and_latency_are_summed_per_profile_and_role(client, enabled, approved_version):
    usage = {"requests": 10, "prompt_tokens": 1000, "completion_tokens": 300, "mean_latency_ms": 200.0}
    llm_job(approved_version, "local", usage)
    llm_job(
        approved_version,
        "local",
        {"requests": 30, "prompt_tokens": 2000, "completion_tokens": 900, "mean_latency_ms": 100.0},
        judge=("judge-model", {"requests": 5, "prompt_tokens": 50, "completion_tokens": 5, "mean_latency_ms": 1000.0}),
    )

    samples = scrape(client)

    assert value(samples, "synthgov_llm_requests_total", profile="local", role="generate") == 40
    assert value(samples, "synthgov_llm_tokens_total", profile="local", role="generate", kind="prompt") == 3000
    assert value(samples, "synthgov_llm_tokens_total", profile="local", role="generate", kind="completion") == 1200
    assert value(samples, "synthgov_llm_request_latency_seconds_count", profile="local", role="generate") == 40
    # 10 x 0.2 s + 30 x 0.1 s
    assert value(
        samples, "synthgov_llm_request_latency_seconds_sum", profile="local", role="generate"
    ) == pytest.approx(5.0)
    assert value(samples, "synthgov_llm_requests_total", profile="judge-model", role="judge") == 5
    assert value(samples, "synthgov_llm_request_latency_seconds_sum", profile="judge-model", role="judge") == 5.0


def test_request_latency_is_labelled_by_the_resolved_view_never_the_path(client, enabled, operator):
    client.force_login(operator)
    before = value(
        scrape(client),
        "synthgov_http_request_duration_seconds_count",
        view="generationjob-detail",
        method="GET",
        status="4xx",
    )

    client.get("/api/v1/jobs/987654/")
    client.get("/api/v1/jobs/123456/")
    samples = scrape(client)

    assert (
        value(
            samples,
            "synthgov_http_request_duration_seconds_count",
            view="generationjob-detail",
            method="GET",
            status="4xx",
        )
        == (before or 0) + 2
    )
    assert not any("987654" in str(labels) for _, labels in samples)


def test_an_unresolved_path_is_one_label(client, enabled):
    client.get("/no/such/page/1")
    client.get("/no/such/page/2")

    samples = scrape(client)

    assert (
        value(samples, "synthgov_http_request_duration_seconds_count", view="<unresolved>", method="GET", status="4xx")
        >= 2
    )
    assert not any("such" in str(labels) for _, labels in samples)


def test_requests_are_not_timed_while_metrics_are_off(client, settings, db):
    settings.SYNTHGOV_METRICS_TOKEN = ""
    before = metrics.REQUEST_LATENCY.labels("health-live", "GET", "2xx")._sum.get()

    client.get("/health/")

    assert metrics.REQUEST_LATENCY.labels("health-live", "GET", "2xx")._sum.get() == before


def test_a_failing_collector_is_reported_down_and_the_others_still_answer(client, enabled, monkeypatch, db):
    def broken():
        raise RuntimeError("the database went away")
        yield

    monkeypatch.setitem(metrics.COLLECTORS, "broken", broken)
    QAPairFactory(tenant_id="acme")

    samples = scrape(client)

    assert value(samples, "synthgov_metrics_collector_up", collector="broken") == 0
    assert value(samples, "synthgov_metrics_collector_up", collector="review") == 1
    assert value(samples, "synthgov_pending_pairs", tenant="acme") == 1


def scrape_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        scrape(client)
    return len(queries)


def test_a_scrape_costs_the_same_queries_whatever_the_row_counts(client, enabled, approved_version):
    make_job(approved_version, status=GenerationJob.Status.SUCCEEDED)
    QAPairFactory(tenant_id="acme")
    ReviewDecisionFactory()
    few = scrape_queries(client)

    for index in range(5):
        llm_job(approved_version, f"profile-{index}", {"requests": 1, "prompt_tokens": 1, "completion_tokens": 1})
    for tenant in ("a", "b", "c", "d"):
        QAPairFactory.create_batch(3, tenant_id=tenant)
    ReviewDecisionFactory.create_batch(5, decision=ReviewDecision.Decision.REJECT)

    assert scrape_queries(client) == few == 8
