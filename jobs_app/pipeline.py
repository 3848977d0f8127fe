"""One batch of a job: sample -> generate -> validate -> dedup -> persist.

Every record index ends as exactly one outcome: an accepted pair, a rejected artifact with
its reasons, or a duplicate of content the tenant already holds.
"""

import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from jsonschema import Draft202012Validator

from qa_app.models import QAPair, normalised_content_hash
from synthgov.bulk import insert_rows
from templates_app.rendering import TemplateRenderError
from templates_app.sampling import SamplingContext, SamplingError, VariableSampler

from .models import GenerationJob, RejectedArtifact


@dataclass
class BatchOutcome:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0


def _reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


RECORD_FIELDS = ("question", "answer", "context")
GENERATED_PAIR_COLUMNS = [
    "question",
    "answer",
    "context",
    "content_hash",
    "locale",
    "tenant_id",
    "source",
    "review_status",
    "review_reason",
    "job_id",
    "template_version_id",
    "record_index",
    "is_preview",
    "metadata",
    "lineage",
    "tags",
    "scores",
    "flags",
    "created_at",
    "updated_at",
]


def validate_record(record: dict, validator: Draft202012Validator) -> list[dict]:
    """Reasons the record cannot be accepted: empty required fields, output_schema violations."""
    reasons = [
        _reason("empty_field", f"{name} is empty") for name in ("question", "answer") if not record[name].strip()
    ]
    for error in validator.iter_errors({name: record[name] for name in RECORD_FIELDS}):
        where = "/".join(str(part) for part in error.absolute_path) or "record"
        reasons.append(_reason("schema", f"{where}: {error.message}"))
    return reasons


class BatchProcessor:
    """Holds what every batch of one job shares: the variable sampler, the compiled generator and validator."""

    def __init__(self, job: GenerationJob, generator):
        self.job = job
        self.version = job.template_version
        self.generator = generator
        self.validator = Draft202012Validator(self.version.output_schema)
        self.base_lineage = job.lineage
        self.sampler = VariableSampler(
            self.version.variables, SamplingContext.for_version(self.version, locale=job.locale)
        )

    def process(self, start: int, stop: int) -> BatchOutcome:
        outcome = BatchOutcome()
        candidates: dict[str, tuple] = {}
        rejected: list[RejectedArtifact] = []
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        for record_index in range(start, stop):
            try:
                variables = self.sampler.sample(self.job.seed, record_index)
            except SamplingError as exc:
                reasons = [_reason("sampling", str(exc))]
                rejected.append(self._artifact(record_index, {"variables": exc.variables}, reasons))
                continue
            try:
                record = self.generator.generate(variables)
            except TemplateRenderError as exc:
                rejected.append(self._artifact(record_index, {"variables": variables}, [_reason("render", str(exc))]))
                continue
            reasons = validate_record(record, self.validator)
            if reasons:
                rejected.append(self._artifact(record_index, {**record, "variables": variables}, reasons))
                continue
            content_hash = normalised_content_hash(record["question"], record["answer"], record["context"])
            if content_hash in candidates:
                outcome.duplicates += 1
            else:
                candidates[content_hash] = self._row(record_index, record, variables, content_hash, now)

        existing = self._existing_hashes(list(candidates))
        # Generated rows are machine inserts in bulk: the job and each pair's lineage are
        # their record, so no history rows are written here (reviews write history).
        # Conflicts are skipped: a pair another job inserted a moment ago is a duplicate.
        insert_rows(
            QAPair,
            GENERATED_PAIR_COLUMNS,
            (row for content_hash, row in candidates.items() if content_hash not in existing),
            skip_conflicts=True,
        )
        outcome.accepted = QAPair.objects.filter(job=self.job, record_index__gte=start, record_index__lt=stop).count()
        outcome.duplicates += len(candidates) - outcome.accepted
        RejectedArtifact.objects.bulk_create(rejected, ignore_conflicts=True)
        outcome.rejected = len(rejected)
        return outcome

    def _existing_hashes(self, hashes: list[str]) -> set[str]:
        """Hashes the tenant already holds: its non-preview pairs, and this job's own pairs.

        Two queries, not one with OR: each is answered by an index (the per-tenant unique one is
        partial, on non-preview rows), where the OR made PostgreSQL read the whole table.
        """
        tenant_pairs = QAPair.objects.filter(tenant_id=self.job.tenant_id, is_preview=False, content_hash__in=hashes)
        existing = set(tenant_pairs.values_list("content_hash", flat=True))
        if not self.job.production:
            job_pairs = QAPair.objects.filter(job=self.job, content_hash__in=hashes)
            existing.update(job_pairs.values_list("content_hash", flat=True))
        return existing

    def _artifact(self, record_index: int, payload: dict, reasons: list[dict]) -> RejectedArtifact:
        return RejectedArtifact(job=self.job, record_index=record_index, payload=payload, reasons=reasons)

    def _row(self, record_index: int, record: dict, variables: dict, content_hash: str, now) -> tuple:
        """A new pending synthetic pair, in GENERATED_PAIR_COLUMNS order."""
        job = self.job
        metadata = {
            "system_prompt": record["system_prompt"],
            "target_surface": job.target_surface,
            "production": job.production,
        }
        lineage = {**self.base_lineage, "job": job.pk, "record_index": record_index, "variables": variables}
        return (
            record["question"],
            record["answer"],
            record["context"],
            content_hash,
            job.locale,
            job.tenant_id,
            QAPair.Source.SYNTHETIC.value,
            QAPair.ReviewStatus.PENDING.value,
            "",
            job.pk,
            self.version.pk,
            record_index,
            not job.production,
            json.dumps(metadata),
            json.dumps(lineage),
            "[]",
            "{}",
            "[]",
            now,
            now,
        )
