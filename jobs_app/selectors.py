from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import GenerationJob, JobShard


def jobs_using(version) -> QuerySet:
    """The generation jobs that ran from this version, newest first."""
    return GenerationJob.objects.filter(template_version=version).select_related("created_by").order_by("-created_at")


def pair_job_surface(*, pair: str = "") -> F:
    """The target surface of the job that made a pair (NULL for pairs without a job: operator, imported).
    `pair` is the path to the QA pair from the queried model ("" for QAPair, "qa_pair__" ...)."""
    return F(f"{pair}job__target_surface")


def pair_job_surface_in(surfaces, *, pair: str = "") -> Q:
    """Pairs made by a job whose target surface is one of `surfaces` (never a pair without a job).
    One join to the (small) jobs table, so a release of a million members stays one statement."""
    return Q(**{f"{pair}job__target_surface__in": list(surfaces)})


def stale_shards(*, before=None) -> QuerySet:
    """Unfinished shards of live jobs silent since `before` (default: SYNTHGOV_SHARD_STALE_SECONDS ago):
    a running shard whose worker stopped reporting, or a queued one whose task was lost. The sweep
    re-queues them; /health/ready/ and /metrics count them."""
    before = before or timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS)
    live_jobs = Q(job__status__in=[GenerationJob.Status.PENDING, GenerationJob.Status.RUNNING])
    silent = Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, job__created_at__lt=before)
    return JobShard.objects.filter(live_jobs, silent).exclude(status=JobShard.Status.DONE)
