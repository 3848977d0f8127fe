"""The jobs app's readiness check: no shard of a live job has gone silent (registered from JobsAppConfig.ready)."""

import dataclasses

from django.conf import settings
from health_check import HealthCheck
from health_check.exceptions import ServiceUnavailable

from .selectors import stale_shards

STALE_SHARDS = (
    "{count} generation shard(s) silent for more than {seconds} s (jobs {jobs}): their worker stopped; "
    "the stale-shard sweep re-queues them each minute while a q2 cluster runs"
)


@dataclasses.dataclass
class StaleShards(HealthCheck):
    def run(self):
        jobs = sorted(set(stale_shards().values_list("job_id", flat=True)))
        if jobs:
            count = stale_shards().count()
            shown = ", ".join(map(str, jobs[:10])) + (" and more" if len(jobs) > 10 else "")
            raise ServiceUnavailable(
                STALE_SHARDS.format(count=count, seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS, jobs=shown)
            )
