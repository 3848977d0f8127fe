"""One batch of a job: sample -> generate -> validate -> score -> dedup -> persist.

Every record index ends as exactly one outcome: an accepted pair (with flags and a quality
score), a rejected artifact with its reasons, or a DuplicateRecord naming the pair that holds
its content. A batch run again (a resumed task) skips the indexes that already have one.
"""

import json
from dataclasses import dataclass, field
from operator import itemgetter

from django.conf import settings
from django.db import connection
from django.utils import timezone

from qa_app.models import QAPair, normalised_content_hash
from synthgov.bulk import insert_rows
from synthgov.json_schema import user_schema_validator
from templates_app.sampling import SamplingContext, SamplingError, VariableSampler

from .generators import Generated
from .generators.openai_chat import LLM_ROUNDS_PER_BATCH
from .judge import LLM_JUDGE_SCORE, LLMJudge, judge_for_job
from .models import DuplicateRecord, GenerationJob, RejectedArtifact
from .near_duplicate_store import NearDuplicateStore, configured_hasher
from .validation.completeness import completeness_reasons
from .validation.language import locale_mismatch, locale_region
from .validation.near_duplicates import record_text
from .validation.pii import pii_flags, pii_reason
from .validation.scoring import components_for, quality


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
    "quality_score",
    "created_at",
    "updated_at",
]


def _generated_payload(generated, payload: dict) -> dict:
    """A rejected artifact's payload, with the backend's raw reply and call metadata when it has them."""
    if generated.raw is not None:
        payload["raw"] = generated.raw
    if generated.metadata:
        payload["metadata"] = generated.metadata
    return payload


@dataclass
class _Candidate:
    """A record that passed validation, waiting for the duplicate checks of its batch."""

    record_index: int
    record: dict
    variables: dict
    flags: list[dict]
    metadata: dict
    # The LLM judge's score and rationale (model-made), when the job has a judge and it answered.
    judgement: dict | None = None


@dataclass
class _Settled:
    """Indexes of the batch that already have an outcome (from an earlier, interrupted run)."""

    indexes: set[int] = field(default_factory=set)
    rejected: int = 0
    duplicates: int = 0


class BatchProcessor:
    """Holds what every batch of one job shares: the variable sampler, the compiled generator and validator."""

    def __init__(self, job: GenerationJob, generator):
        self.job = job
        self.version = job.template_version
        self.generator = generator
        self.validator = user_schema_validator(self.version.output_schema, field="output_schema")
        self.base_lineage = job.lineage
        self.pii_rejects = settings.SYNTHGOV_PII_ACTION == "reject"
        self.region = locale_region(job.locale)
        self.hasher = configured_hasher()
        self.near_duplicates = NearDuplicateStore(job, self.hasher)
        self.sampler = VariableSampler(
            self.version.variables,
            SamplingContext.for_version(self.version, locale=job.locale, subchapter_key=job.subchapter_key),
        )
        self.judge = judge_for_job(job)

    def batch_size(self, default: int) -> int:
        """Records per committed batch: the backend's choice, kept to a few rounds of judge requests when judged."""
        size = self.generator.batch_size(default)
        if isinstance(self.judge, LLMJudge):
            size = min(size, self.judge.profile.concurrency * LLM_ROUNDS_PER_BATCH)
        return size

    def generate(self, start: int, stop: int) -> list[tuple[int, dict, Generated]]:
        """Sample and generate the batch's unsettled records, for `process` to check and persist.

        Called before the batch's transaction: an LLM batch can take minutes, all of which SQLite
        would spend holding its write lock (taken at BEGIN IMMEDIATE) and PostgreSQL a transaction.
        """
        return self._generate(start, stop, self._settled(start, stop).indexes)

    def _generate(self, start: int, stop: int, settled: set[int]) -> list[tuple[int, dict, Generated]]:
        items, failed = [], []
        for record_index in range(start, stop):
            if record_index in settled:
                continue
            try:
                items.append((record_index, self.sampler.sample(self.job.seed, record_index)))
            except SamplingError as exc:
                reasons = [_reason("sampling", str(exc))]
                failed.append((record_index, exc.variables, Generated(record_index, None, reasons)))
        # The whole batch at once, so an LLM backend can send its requests concurrently.
        generated = self.generator.generate_many(items)
        results = [(index, variables, outcome) for (index, variables), outcome in zip(items, generated, strict=True)]
        if self.judge is not None:
            self._judge([outcome for _, _, outcome in results])
        return sorted(failed + results, key=itemgetter(0)) if failed else results

    def _judge(self, generated: list[Generated]) -> None:
        """Give each record that will become a pair the LLM judge's verdict; the others are not worth a request.

        Which records pass validation and are no exact duplicate is checked here as `process` will check
        it; a pair inserted meanwhile by another job only costs one judge request that is not stored.
        """
        candidates: dict[str, Generated] = {}
        for outcome in generated:
            record = outcome.record
            if record is None or self._check(record)[0]:
                continue
            content_hash = normalised_content_hash(record["question"], record["answer"], record["context"])
            candidates.setdefault(content_hash, outcome)
        held = self._pairs_holding(list(candidates))
        verdicts = self.judge.judge_many(
            [
                (outcome.record_index, outcome.record)
                for content_hash, outcome in candidates.items()
                if content_hash not in held
            ]
        )
        for outcome in generated:
            outcome.verdict = verdicts.get(outcome.record_index)

    def process(self, start: int, stop: int, prepared: list[tuple[int, dict, Generated]] | None = None) -> BatchOutcome:
        """Check, deduplicate and persist a batch; `prepared` is what `generate` returned for it, if called."""
        settled = self._settled(start, stop)
        candidates: dict[str, _Candidate] = {}
        repeats: list[tuple[int, str]] = []
        rejected: list[RejectedArtifact] = []
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        if prepared is None:
            prepared = self._generate(start, stop, settled.indexes)
        for record_index, variables, generated in prepared:
            if record_index in settled.indexes:
                continue  # Settled by another worker since `generate` ran.
            record = generated.record
            if record is None:
                payload = _generated_payload(generated, {"variables": variables})
                rejected.append(self._artifact(record_index, payload, generated.reasons))
                continue
            reasons, flags = self._check(record)
            if reasons:
                payload = _generated_payload(generated, {**record, "variables": variables})
                rejected.append(self._artifact(record_index, payload, reasons))
                continue
            content_hash = normalised_content_hash(record["question"], record["answer"], record["context"])
            if content_hash in candidates:
                repeats.append((record_index, content_hash))
            else:
                candidates[content_hash] = self._candidate(record_index, record, variables, flags, generated)
        return self._persist(start, stop, settled, candidates, repeats, rejected, now)

    def _candidate(self, record_index: int, record: dict, variables: dict, flags: list[dict], generated) -> _Candidate:
        """A pair to be, with the judge's verdict: its judgement and usage, or a flag for a person when it failed."""
        verdict, metadata = generated.verdict, generated.metadata
        if verdict is None:
            return _Candidate(record_index, record, variables, flags, metadata)
        if verdict.usage:
            metadata = {**metadata, "judge_usage": verdict.usage}
        if verdict.flag:
            flags = [*flags, verdict.flag]
        return _Candidate(record_index, record, variables, flags, metadata, verdict.judgement)

    def _check(self, record: dict) -> tuple[list[dict], list[dict]]:
        """Rejection reasons (completeness, schema, PII when set to reject) and flags of a record."""
        reasons = completeness_reasons(record, self.validator, min_answer_chars=settings.SYNTHGOV_MIN_ANSWER_CHARS)
        if reasons:
            return reasons, []
        flags = pii_flags({name: record[name] for name in RECORD_FIELDS}, region=self.region)
        if flags and self.pii_rejects:
            return [pii_reason(flags)], []
        mismatch = locale_mismatch(
            f"{record['question']}\n{record['answer']}",
            self.job.locale,
            min_chars=settings.SYNTHGOV_LOCALE_MIN_CHARS,
            min_confidence=settings.SYNTHGOV_LOCALE_MIN_CONFIDENCE,
        )
        if mismatch:
            flags.append(mismatch)
        return [], flags

    def _settled(self, start: int, stop: int) -> _Settled:
        in_range = {"job": self.job, "record_index__gte": start, "record_index__lt": stop}
        pairs = set(QAPair.objects.filter(**in_range).values_list("record_index", flat=True))
        rejected = set(RejectedArtifact.objects.filter(**in_range).values_list("record_index", flat=True))
        duplicates = set(DuplicateRecord.objects.filter(**in_range).values_list("record_index", flat=True))
        return _Settled(indexes=pairs | rejected | duplicates, rejected=len(rejected), duplicates=len(duplicates))

    def _persist(
        self,
        start: int,
        stop: int,
        settled: _Settled,
        candidates: dict[str, _Candidate],
        repeats: list[tuple[int, str]],
        rejected: list[RejectedArtifact],
        now,
    ) -> BatchOutcome:
        holders = self._pairs_holding(list(candidates))
        fresh = [
            (content_hash, candidate) for content_hash, candidate in candidates.items() if content_hash not in holders
        ]
        signatures = self.hasher.signatures(
            [record_text(c.record["question"], c.record["answer"], c.record["context"]) for _, c in fresh]
        )
        buckets = self.hasher.buckets(signatures)
        matches = self.near_duplicates.matches(signatures, buckets)
        rows, flags_of = [], {}
        for (content_hash, candidate), match in zip(fresh, matches, strict=True):
            flags = candidate.flags
            if match:
                # An earlier record of this batch has no id yet: it is filled in after the insert.
                flags = [
                    *flags,
                    {"code": "near_duplicate", "of": match.pair_id, "similarity": round(match.similarity, 2)},
                ]
            flags_of[candidate.record_index] = flags
            score, scores = quality(components_for(candidate.record, flags))
            if candidate.judgement:
                # Beside the deterministic components, never weighed into quality_score.
                scores[LLM_JUDGE_SCORE] = candidate.judgement
            rows.append(self._row(candidate, content_hash, now, flags=flags, scores=scores, quality_score=score))
        # Generated rows are machine inserts in bulk: the job and each pair's lineage are
        # their record, so no history rows are written here (reviews write history).
        # Conflicts are skipped: a pair another job inserted a moment ago makes a duplicate.
        insert_rows(QAPair, GENERATED_PAIR_COLUMNS, rows, skip_conflicts=True)
        in_range = dict(
            QAPair.objects.filter(job=self.job, record_index__gte=start, record_index__lt=stop).values_list(
                "record_index", "id"
            )
        )
        inserted = {content_hash: in_range[c.record_index] for content_hash, c in fresh if c.record_index in in_range}
        lost = [content_hash for content_hash, _ in fresh if content_hash not in inserted]
        if lost:
            holders.update(self._pairs_holding(lost))
        holders.update(inserted)

        self._name_batch_near_duplicates(fresh, matches, flags_of, holders, in_range)
        kept = [position for position, (content_hash, _) in enumerate(fresh) if content_hash in inserted]
        self.near_duplicates.remember(
            [inserted[fresh[position][0]] for position in kept], signatures[kept], buckets[kept]
        )
        duplicates = [
            self._duplicate(candidate.record_index, content_hash, holders)
            for content_hash, candidate in candidates.items()
            if content_hash not in inserted
        ]
        duplicates += [self._duplicate(record_index, content_hash, holders) for record_index, content_hash in repeats]
        DuplicateRecord.objects.bulk_create(duplicates, ignore_conflicts=True)
        RejectedArtifact.objects.bulk_create(rejected, ignore_conflicts=True)
        return BatchOutcome(
            accepted=len(in_range),
            rejected=settled.rejected + len(rejected),
            duplicates=settled.duplicates + len(duplicates),
        )

    def _name_batch_near_duplicates(self, fresh, matches, flags_of, holders, in_range) -> None:
        """Fill in the pair id of near-duplicate flags that point at an earlier record of the batch."""
        named = []
        for (_, candidate), match in zip(fresh, matches, strict=True):
            if match is None or match.batch_position is None or candidate.record_index not in in_range:
                continue
            flags = flags_of[candidate.record_index]
            flags[-1] = {**flags[-1], "of": holders.get(fresh[match.batch_position][0])}
            named.append(QAPair(pk=in_range[candidate.record_index], flags=flags))
        if named:
            QAPair.objects.bulk_update(named, ["flags"])

    def _duplicate(self, record_index: int, content_hash: str, holders: dict[str, int]) -> DuplicateRecord:
        return DuplicateRecord(
            job=self.job,
            record_index=record_index,
            content_hash=content_hash,
            duplicate_of_id=holders.get(content_hash),
        )

    def _pairs_holding(self, hashes: list[str]) -> dict[str, int]:
        """Ids of the pairs holding these hashes: the tenant's non-preview pairs, and this job's own.

        Two queries, not one with OR: each is answered by an index (the per-tenant unique one is
        partial, on non-preview rows), where the OR made PostgreSQL read the whole table.
        """
        if not hashes:
            return {}
        tenant_pairs = QAPair.objects.filter(tenant_id=self.job.tenant_id, is_preview=False, content_hash__in=hashes)
        holders = dict(tenant_pairs.values_list("content_hash", "id"))
        if not self.job.production:
            job_pairs = QAPair.objects.filter(job=self.job, content_hash__in=hashes).values_list("content_hash", "id")
            holders.update(
                (content_hash, pair_id) for content_hash, pair_id in job_pairs if content_hash not in holders
            )
        return holders

    def _artifact(self, record_index: int, payload: dict, reasons: list[dict]) -> RejectedArtifact:
        return RejectedArtifact(job=self.job, record_index=record_index, payload=payload, reasons=reasons)

    def _row(
        self, candidate: _Candidate, content_hash: str, now, *, flags: list[dict], scores: dict, quality_score: float
    ) -> tuple:
        """A new pending synthetic pair, in GENERATED_PAIR_COLUMNS order."""
        job = self.job
        record_index, record, variables = candidate.record_index, candidate.record, candidate.variables
        metadata = {
            "system_prompt": record["system_prompt"],
            "target_surface": job.target_surface,
            "production": job.production,
            **candidate.metadata,
        }
        if "prompt" in record:
            metadata["prompt"] = record["prompt"]
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
            json.dumps(scores),
            json.dumps(flags),
            quality_score,
            now,
            now,
        )
