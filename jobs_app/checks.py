"""System checks: the time bounds of batches, shards, q2 tasks and the broker must agree.

The relation is explained once, above Q_CLUSTER in synthgov/settings/base.py. A cluster or server
started with bounds that contradict each other would start tasks twice or hand live work to a
second worker, so `manage.py check` (run by every management command, qcluster included) refuses.
"""

from django.conf import settings
from django.core.checks import Error, register

SETTINGS_DOC = "See the comment above Q_CLUSTER in synthgov/settings/base.py."


def _positive_number(name: str, value) -> Error | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return Error(f"{name} must be a positive number of seconds; got {value!r}.", hint=SETTINGS_DOC, id="jobs.E001")
    return None


@register("jobs")
def check_time_bounds(app_configs=None, **kwargs) -> list[Error]:
    q_cluster = getattr(settings, "Q_CLUSTER", {})
    bounds = {
        "SYNTHGOV_BATCH_MAX_SECONDS": getattr(settings, "SYNTHGOV_BATCH_MAX_SECONDS", None),
        "SYNTHGOV_SHARD_STALE_SECONDS": getattr(settings, "SYNTHGOV_SHARD_STALE_SECONDS", None),
        "Q_CLUSTER['timeout']": q_cluster.get("timeout"),
        "Q_CLUSTER['retry']": q_cluster.get("retry"),
    }
    errors = [error for name, value in bounds.items() if (error := _positive_number(name, value))]
    if errors:
        return errors
    batch, stale = bounds["SYNTHGOV_BATCH_MAX_SECONDS"], bounds["SYNTHGOV_SHARD_STALE_SECONDS"]
    timeout, retry = q_cluster["timeout"], q_cluster["retry"]
    if retry <= timeout:
        errors.append(
            Error(
                f"Q_CLUSTER['retry'] ({retry} s) must be longer than Q_CLUSTER['timeout'] ({timeout} s): "
                "the broker would hand a task that is still running to a second worker.",
                hint=SETTINGS_DOC,
                id="jobs.E002",
            )
        )
    if stale <= batch:
        errors.append(
            Error(
                f"SYNTHGOV_SHARD_STALE_SECONDS ({stale} s) must be longer than the longest batch, "
                f"SYNTHGOV_BATCH_MAX_SECONDS ({batch} s): the stale-shard sweep would hand a live worker's "
                "shard to another worker.",
                hint=SETTINGS_DOC,
                id="jobs.E003",
            )
        )
    if timeout <= batch:
        errors.append(
            Error(
                f"Q_CLUSTER['timeout'] ({timeout} s) must be longer than the longest batch, "
                f"SYNTHGOV_BATCH_MAX_SECONDS ({batch} s): a shard's task would be killed before it commits a batch.",
                hint=SETTINGS_DOC,
                id="jobs.E004",
            )
        )
    quick_retries = getattr(settings, "SYNTHGOV_SHARD_QUICK_RETRIES", 0)
    if isinstance(quick_retries, bool) or not isinstance(quick_retries, int) or quick_retries < 0:
        errors.append(
            Error(
                f"SYNTHGOV_SHARD_QUICK_RETRIES must be a whole number >= 0; got {quick_retries!r}.",
                hint=SETTINGS_DOC,
                id="jobs.E005",
            )
        )
    return errors
