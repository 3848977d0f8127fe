"""One batch of a job: sample -> generate -> validate -> dedup -> persist.

Every record index ends as exactly one outcome: an accepted pair, a rejected artifact with
its reasons, or a duplicate of content the tenant already holds.
"""

from dataclasses import dataclass

from django.db.models import Q
from jsonschema import Draft202012Validator

from qa_app.models import QAPair, normalised_content_hash
from templates_app.rendering import TemplateRenderError
from templates_app.sampling import sample_variables

from .models import GenerationJob, RejectedArtifact


@dataclass
class BatchOutcome:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0


def _reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


RECORD_FIELDS = ("question", "answer", "context")


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
    """Holds what every batch of one job shares: the compiled generator and validator."""

    def __init__(self, job: GenerationJob, generator):
        self.job = job
        self.version = job.template_version
        self.generator = generator
        self.validator = Draft202012Validator(self.version.output_schema)
        self.base_lineage = job.lineage

    def process(self, start: int, stop: int) -> BatchOutcome:
        outcome = BatchOutcome()
        candidates: dict[str, QAPair] = {}
        rejected: list[RejectedArtifact] = []
        for record_index in range(start, stop):
            variables = sample_variables(self.version.variables, seed=self.job.seed, record_index=record_index)
            try:
                record = self.generator.generate(variables)
            except TemplateRenderError as exc:
                rejected.append(self._artifact(record_index, {"variables": variables}, [_reason("render", str(exc))]))
                continue
            reasons = validate_record(record, self.validator)
            if reasons:
                rejected.append(self._artifact(record_index, {**record, "variables": variables}, reasons))
                continue
            pair = self._pair(record_index, record, variables)
            if pair.content_hash in candidates:
                outcome.duplicates += 1
            else:
                candidates[pair.content_hash] = pair

        existing = set(
            QAPair.objects.filter(tenant_id=self.job.tenant_id, content_hash__in=list(candidates))
            .filter(Q(is_preview=False) | Q(job=self.job))
            .values_list("content_hash", flat=True)
        )
        new_pairs = [pair for content_hash, pair in candidates.items() if content_hash not in existing]
        # Generated rows are machine inserts in bulk: the job and each pair's lineage are
        # their record, so no history rows are written here (reviews write history).
        # ignore_conflicts: a pair another job inserted a moment ago is a duplicate, not an error.
        QAPair.objects.bulk_create(new_pairs, ignore_conflicts=True)
        outcome.accepted = QAPair.objects.filter(job=self.job, record_index__gte=start, record_index__lt=stop).count()
        outcome.duplicates += len(candidates) - outcome.accepted
        RejectedArtifact.objects.bulk_create(rejected, ignore_conflicts=True)
        outcome.rejected = len(rejected)
        return outcome

    def _artifact(self, record_index: int, payload: dict, reasons: list[dict]) -> RejectedArtifact:
        return RejectedArtifact(job=self.job, record_index=record_index, payload=payload, reasons=reasons)

    def _pair(self, record_index: int, record: dict, variables: dict) -> QAPair:
        job = self.job
        return QAPair(
            question=record["question"],
            answer=record["answer"],
            context=record["context"],
            content_hash=normalised_content_hash(record["question"], record["answer"], record["context"]),
            locale=job.locale,
            tenant_id=job.tenant_id,
            source=QAPair.Source.SYNTHETIC,
            job=job,
            template_version=self.version,
            record_index=record_index,
            is_preview=not job.production,
            metadata={
                "system_prompt": record["system_prompt"],
                "target_surface": job.target_surface,
                "production": job.production,
            },
            lineage={**self.base_lineage, "job": job.pk, "record_index": record_index, "variables": variables},
        )
