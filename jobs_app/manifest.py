"""The output manifest a finished job carries: counts, reasons, hashes, generator."""

import hashlib
from collections import Counter

from qa_app.models import QAPair

from .generators import generator_usage
from .judge import judge_usage
from .models import GenerationJob, RejectedArtifact


def job_output_manifest(job: GenerationJob) -> dict:
    rejection_reasons = Counter()
    for reasons in RejectedArtifact.objects.filter(job=job).values_list("reasons", flat=True).iterator():
        rejection_reasons.update({reason["code"] for reason in reasons})
    accepted_ids = hashlib.sha256()
    for pair_id in QAPair.objects.filter(job=job).order_by("record_index").values_list("id", flat=True).iterator():
        accepted_ids.update(f"{pair_id}\n".encode())
    return {
        "record_count": job.record_count,
        "accepted": job.accepted_records,
        "rejected": job.rejected_records,
        "duplicates": job.duplicate_records,
        "rejection_reasons": dict(sorted(rejection_reasons.items())),
        "template_content_sha256": job.template_version.content_sha256,
        "pinned_includes": job.template_version.pinned_includes,
        "generator": job.generator,
        "generator_config": job.generator_config,
        "generator_usage": generator_usage(job),
        "judge_usage": judge_usage(job),
        "accepted_ids_sha256": accepted_ids.hexdigest(),
    }
