"""The jobs app's scrape-time figures for /metrics (registered from JobsAppConfig.ready).

Four grouped queries over the jobs and shards tables (small: one row per job or shard, never per
record), whatever the number of pairs.
"""

from django.db.models import Count, FloatField, IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily

from .generators.base import JUDGE_PROFILE_KEY
from .models import GenerationJob
from .selectors import stale_shards

OUTCOMES = {"accepted": "accepted_records", "rejected": "rejected_records", "duplicate": "duplicate_records"}
# Where a finished job's manifest keeps each role's model usage, and which config key names the profile.
LLM_ROLES = {"generate": ("generator_usage", "profile"), "judge": ("judge_usage", JUDGE_PROFILE_KEY)}


def job_metrics():
    jobs = GaugeMetricFamily(
        "synthgov_jobs", "Generation jobs by status and generator.", labels=["status", "generator"]
    )
    records = CounterMetricFamily(
        "synthgov_generated_records",
        "Records generation produced, by generator and outcome (accepted pair, rejected artifact, duplicate).",
        labels=["generator", "outcome"],
    )
    rows = (
        GenerationJob.objects.order_by()
        .values("status", "generator")
        .annotate(jobs=Count("pk"), **{outcome: Sum(field) for outcome, field in OUTCOMES.items()})
    )
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        jobs.add_metric([row["status"], row["generator"]], row["jobs"])
        for outcome in OUTCOMES:
            key = (row["generator"], outcome)
            totals[key] = totals.get(key, 0) + (row[outcome] or 0)
    for (generator, outcome), value in sorted(totals.items()):
        records.add_metric([generator, outcome], value)
    yield jobs
    yield records

    stale = GaugeMetricFamily(
        "synthgov_stale_shards", "Shards of live jobs silent past SYNTHGOV_SHARD_STALE_SECONDS (their worker died)."
    )
    stale.add_metric([], stale_shards().count())
    yield stale

    yield from llm_usage_metrics()


def llm_usage_metrics():
    """Model requests, tokens and latency per generator profile, from the manifests of succeeded jobs
    (a running job's calls are counted when it finishes)."""
    requests = CounterMetricFamily(
        "synthgov_llm_requests", "Model requests answered, by profile and role.", labels=["profile", "role"]
    )
    tokens = CounterMetricFamily(
        "synthgov_llm_tokens",
        "Tokens by profile, role and kind (prompt, completion).",
        labels=["profile", "role", "kind"],
    )
    latency = SummaryMetricFamily(
        "synthgov_llm_request_latency_seconds", "Model request latency by profile and role.", labels=["profile", "role"]
    )
    for role, (usage, profile_key) in LLM_ROLES.items():
        rows = (
            GenerationJob.objects.filter(**{f"output_manifest__{usage}__has_key": "requests"})
            .order_by()
            .values(profile=KT(f"generator_config__{profile_key}"))
            .annotate(
                requests=Sum(Cast(KT(f"output_manifest__{usage}__requests"), IntegerField())),
                prompt=Sum(Cast(KT(f"output_manifest__{usage}__prompt_tokens"), IntegerField())),
                completion=Sum(Cast(KT(f"output_manifest__{usage}__completion_tokens"), IntegerField())),
                latency_ms=Sum(
                    Cast(KT(f"output_manifest__{usage}__requests"), FloatField())
                    * Coalesce(Cast(KT(f"output_manifest__{usage}__mean_latency_ms"), FloatField()), 0.0)
                ),
            )
        )
        for row in rows:
            labels = [row["profile"] or "", role]
            requests.add_metric(labels, row["requests"] or 0)
            tokens.add_metric([*labels, "prompt"], row["prompt"] or 0)
            tokens.add_metric([*labels, "completion"], row["completion"] or 0)
            latency.add_metric(labels, count_value=row["requests"] or 0, sum_value=(row["latency_ms"] or 0) / 1000)
    yield requests
    yield tokens
    yield latency
