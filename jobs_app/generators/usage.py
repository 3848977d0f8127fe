"""Token usage and latency of a job's model calls, summed from what each record stored."""

from django.db.models import Count, FloatField, IntegerField, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from qa_app.selectors import pairs_of_job

from ..models import RejectedArtifact


def _totals(queryset, prefix: str, tokens: str | None = None) -> dict:
    """Sums over rows whose JSON at `prefix` holds latency_ms; the token counts sit at `tokens` (prefix's usage)."""
    tokens = tokens or f"{prefix}__usage"
    latency = Cast(KT(f"{prefix}__latency_ms"), FloatField())
    return queryset.filter(**{f"{prefix}__has_key": "latency_ms"}).aggregate(
        requests=Count("pk"),
        prompt_tokens=Sum(Cast(KT(f"{tokens}__prompt_tokens"), IntegerField())),
        completion_tokens=Sum(Cast(KT(f"{tokens}__completion_tokens"), IntegerField())),
        latency_ms=Sum(latency),
    )


def usage_totals(job) -> dict:
    """Requests answered, tokens and mean latency over the job's pairs and rejected artifacts.

    Duplicates keep no metadata, so their calls are not counted.
    """
    pairs = _totals(pairs_of_job(job_id=job.pk), "metadata")
    rejected = _totals(RejectedArtifact.objects.filter(job=job), "payload__metadata")
    requests = pairs["requests"] + rejected["requests"]
    latency = (pairs["latency_ms"] or 0) + (rejected["latency_ms"] or 0)
    return {
        "requests": requests,
        "prompt_tokens": (pairs["prompt_tokens"] or 0) + (rejected["prompt_tokens"] or 0),
        "completion_tokens": (pairs["completion_tokens"] or 0) + (rejected["completion_tokens"] or 0),
        "mean_latency_ms": round(latency / requests, 1) if requests else None,
    }


def judge_usage_totals(job) -> dict:
    """The LLM judge's requests answered, tokens and mean latency over the job's pairs (only pairs are judged).

    Verdicts of records that turned out duplicates are not stored, so their calls are not counted.
    """
    totals = _totals(pairs_of_job(job_id=job.pk), "metadata__judge_usage", tokens="metadata__judge_usage")
    requests = totals["requests"]
    return {
        "requests": requests,
        "prompt_tokens": totals["prompt_tokens"] or 0,
        "completion_tokens": totals["completion_tokens"] or 0,
        "mean_latency_ms": round(totals["latency_ms"] / requests, 1) if requests else None,
    }
