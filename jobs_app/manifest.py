"""The output manifest a finished job carries: counts, reasons, coverage, hashes, generator."""

import hashlib
from collections import Counter

from django.db.models import Count
from django.db.models.fields.json import KT

from qa_app.selectors import pairs_of_job

from .generators import generator_usage
from .generators.concurrency_log import manifest_concurrency
from .judge import judge_usage
from .models import GenerationJob, RejectedArtifact

# A variable with at most this many distinct values has each value's count listed; above, only how many.
MAX_LISTED_VALUES = 50


def job_output_manifest(job: GenerationJob) -> dict:
    rejection_reasons = Counter()
    for reasons in RejectedArtifact.objects.filter(job=job).values_list("reasons", flat=True).iterator():
        rejection_reasons.update({reason["code"] for reason in reasons})
    accepted_ids = hashlib.sha256()
    for pair_id in pairs_of_job(job_id=job.pk).order_by("record_index").values_list("id", flat=True).iterator():
        accepted_ids.update(f"{pair_id}\n".encode())
    return {
        "record_count": job.record_count,
        "accepted": job.accepted_records,
        "rejected": job.rejected_records,
        "duplicates": job.duplicate_records,
        "rejection_reasons": dict(sorted(rejection_reasons.items())),
        "coverage": job_coverage(job),
        "template_content_sha256": job.template_version.content_sha256,
        "pinned_includes": job.lineage.get("pinned_includes", {}),
        "generator": job.generator,
        "generator_config": job.generator_config,
        "generator_usage": generator_usage(job),
        "judge_usage": judge_usage(job),
        "concurrency": manifest_concurrency(
            list(job.shards.order_by("index").values_list("index", "concurrency_log")),
            started_at=job.started_at.timestamp() if job.started_at else 0.0,
        ),
        "accepted_ids_sha256": accepted_ids.hexdigest(),
    }


def job_coverage(job: GenerationJob) -> dict:
    """How the accepted pairs spread over the variables' values and the subchapters.

    One GROUP BY per variable over the job's pairs, computed by the database from the lineage.
    """
    pairs = pairs_of_job(job_id=job.pk)
    spec = job.template_version.variables or {}
    variables = {}
    for name in sorted(spec):
        by_value = pairs.values(value=KT(f"lineage__variables__{name}")).annotate(pairs=Count("id")).order_by()
        distinct = by_value.count()
        variables[name] = {"distinct_values": distinct}
        if distinct <= MAX_LISTED_VALUES:
            variables[name]["pairs_by_value"] = {str(row["value"]): row["pairs"] for row in by_value.order_by("value")}
    subchapter_variables = [name for name, variable in spec.items() if variable.get("sampler") == "subchapter"]
    if subchapter_variables:
        subchapters = variables[subchapter_variables[0]].get("pairs_by_value", {})
    else:
        subchapters = {job.subchapter_key: job.accepted_records} if job.accepted_records else {}
    return {"variables": variables, "pairs_by_subchapter": subchapters}
