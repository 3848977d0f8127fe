"""Every operation that changes a job's state: the request side (trigger, cancel), running shards,
and what reviewers do with the records a job could not accept."""

from .artifacts import PROMOTION_PERMISSION_MISSING, REVIEW_PERMISSION, rejected_artifact_promote
from .execution import (
    job_enqueue,
    job_run,
    job_shard_run,
    job_shards_resume_stale,
    shard_enqueue,
    shard_hand_back,
    shard_ranges,
)
from .jobs import (
    CANCEL_PERMISSION,
    RESUME_PERMISSION,
    RESUME_PERMISSION_MISSING,
    TRIGGER_PERMISSION,
    TRIGGER_PERMISSION_MISSING,
    JobRequest,
    job_cancel,
    job_resume,
    job_trigger,
)

__all__ = [
    "CANCEL_PERMISSION",
    "PROMOTION_PERMISSION_MISSING",
    "RESUME_PERMISSION",
    "RESUME_PERMISSION_MISSING",
    "REVIEW_PERMISSION",
    "TRIGGER_PERMISSION",
    "TRIGGER_PERMISSION_MISSING",
    "JobRequest",
    "job_cancel",
    "job_enqueue",
    "job_resume",
    "job_run",
    "job_shard_run",
    "job_shards_resume_stale",
    "job_trigger",
    "rejected_artifact_promote",
    "shard_enqueue",
    "shard_hand_back",
    "shard_ranges",
]
