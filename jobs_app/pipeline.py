"""One batch of a job: sample -> generate -> validate -> score -> dedup -> persist.

Every record index ends as exactly one outcome: an accepted pair (with flags and a quality
score), a rejected artifact with its reasons, or a DuplicateRecord naming the pair that holds
its content. A batch run again (a resumed task) skips the indexes that already have one.
"""

from dataclasses import dataclass, field
from operator import itemgetter

from django.conf import settings

from qa_app.assessment import NearDuplicateIndex, content_flags
from qa_app.models import normalised_content_hash
from qa_app.selectors import job_record_indexes_with_pairs, pairs_holding
from qa_app.services import NewSyntheticPair, SyntheticBatch, synthetic_pairs_insert
from synthgov.json_schema import user_schema_validator
from synthgov.text_limits import without_nul
from templates_app.sampling import SamplingContext, SamplingError, VariableSampler

from .generators import Generated
from .generators.concurrency_log import ConcurrencyReport, log_add
from .generators.early_stop import EarlyStopWindow, RecordOutcome
from .generators.openai_chat import LLM_ROUNDS_PER_BATCH
from .judge import LLMJudge, judge_for_job
from .models import DuplicateRecord, GenerationJob, RejectedArtifact
from .validation import pii_reason
from .validation.completeness import completeness_reasons


@dataclass
class BatchOutcome:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    # The records this run processed (not those settled by an earlier run), in index order, for the early stop.
    records: list[RecordOutcome] = field(default_factory=list, compare=False)


@dataclass
class PreparedBatch:
    """What `generate` made of a batch: (record_index, variables, Generated) of its unsettled records, in
    index order, and the backend's concurrency report for it (folded into the shard's log when it commits)."""

    records: list[tuple[int, dict, Generated]]
    report: ConcurrencyReport | None = None


def _reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


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
    pairs: int = 0
    rejected: int = 0
    duplicates: int = 0


class BatchProcessor:
    """Holds what every batch of one job shares: the variable sampler, the compiled generator and validator."""

    def __init__(self, job: GenerationJob, generator, *, concurrency_log: dict | None = None):
        self.job = job
        # The shard's log of the backend's adaptive concurrency (backends that have one report it per batch).
        self.concurrency_log = concurrency_log or {}
        self.version = job.template_version
        self.generator = generator
        self.validator = user_schema_validator(self.version.output_schema, field="output_schema")
        self.base_lineage = job.lineage
        self.pii_rejects = settings.SYNTHGOV_PII_ACTION == "reject"
        self.near_duplicates = NearDuplicateIndex(tenant_id=job.tenant_id, job_id=None if job.production else job.pk)
        self.batch = SyntheticBatch(
            job_id=job.pk,
            template_version_id=self.version.pk,
            tenant_id=job.tenant_id,
            locale=job.locale,
            is_preview=not job.production,
            decisions_needed=job.effective_decisions_needed,
        )
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

    @property
    def waits_on_network(self) -> bool:
        """Whether the backend spends a batch waiting on a server (the shard then generates a batch ahead)."""
        return getattr(self.generator, "waits_on_network", False)

    def generate(self, start: int, stop: int) -> PreparedBatch:
        """Sample and generate the batch's unsettled records, for `process` to check and persist.

        Called before the batch's transaction: an LLM batch can take minutes, all of which SQLite
        would spend holding its write lock (taken at BEGIN IMMEDIATE) and PostgreSQL a transaction.
        Changes nothing on the processor but the generator's state, so a background thread may run it
        while the shard's thread processes the previous batch (jobs_app/batches.py).
        """
        return self._generate(start, stop, self._settled(start, stop).indexes)

    def _generate(self, start: int, stop: int, settled: set[int]) -> PreparedBatch:
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
        take_report = getattr(self.generator, "take_report", None)
        report = take_report() if take_report else None
        results = [(index, variables, outcome) for (index, variables), outcome in zip(items, generated, strict=True)]
        if self.judge is not None:
            self._judge([outcome for _, _, outcome in results])
        return PreparedBatch(sorted(failed + results, key=itemgetter(0)) if failed else results, report)

    def close(self) -> None:
        self.generator.close()

    def early_stop_window(self) -> EarlyStopWindow | None:
        """The window of the backend's early-stop rule, when its profile sets one."""
        rule = getattr(self.generator, "early_stop_rule", None)
        return EarlyStopWindow(rule) if rule else None

    def _judge(self, generated: list[Generated]) -> None:
        """Give each record that will become a pair the LLM judge's verdict; the others are not worth a request.

        Which records pass validation and are no exact duplicate is checked here as `process` will check
        it; a pair inserted meanwhile by another job (or by the batch before, committing while this one is
        generated ahead) only costs one judge request that is not stored.
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

    def process(self, start: int, stop: int, prepared: PreparedBatch | None = None) -> BatchOutcome:
        """Check, deduplicate and persist a batch; `prepared` is what `generate` returned for it, if called.

        Runs in the batch's transaction; the concurrency report joins `concurrency_log` here, so the
        log the shard stores with a batch holds the reports of the batches committed, no others.
        """
        settled = self._settled(start, stop)
        candidates: dict[str, _Candidate] = {}
        repeats: list[tuple[int, str]] = []
        rejected: list[RejectedArtifact] = []
        records: list[RecordOutcome] = []
        if prepared is None:
            prepared = self._generate(start, stop, settled.indexes)
        if prepared.report is not None:
            self.concurrency_log = log_add(self.concurrency_log, prepared.report)
        for record_index, variables, generated in prepared.records:
            if record_index in settled.indexes:
                continue  # Settled by another worker since `generate` ran.
            record = generated.record
            faults = tuple(generated.metadata.get("faults", ()))
            if record is None:
                payload = _generated_payload(generated, {"variables": variables})
                rejected.append(self._artifact(record_index, payload, generated.reasons))
                records.append(RecordOutcome(tuple(reason["code"] for reason in generated.reasons), faults))
                continue
            reasons, flags = self._check(record)
            if reasons:
                payload = _generated_payload(generated, {**record, "variables": variables})
                rejected.append(self._artifact(record_index, payload, reasons))
                records.append(RecordOutcome(tuple(reason["code"] for reason in reasons), faults))
                continue
            records.append(RecordOutcome((), faults))
            content_hash = normalised_content_hash(record["question"], record["answer"], record["context"])
            if content_hash in candidates:
                repeats.append((record_index, content_hash))
            else:
                candidates[content_hash] = self._candidate(record_index, record, variables, flags, generated)
        outcome = self._persist(settled, candidates, repeats, rejected)
        outcome.records = records
        return outcome

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
        flags = content_flags(record, locale=self.job.locale)
        if self.pii_rejects and (pii := [flag for flag in flags if flag["code"].startswith("pii_")]):
            return [pii_reason(pii)], []
        return [], flags

    def _settled(self, start: int, stop: int) -> _Settled:
        in_range = {"job": self.job, "record_index__gte": start, "record_index__lt": stop}
        pairs = job_record_indexes_with_pairs(job_id=self.job.pk, start=start, stop=stop)
        rejected = set(RejectedArtifact.objects.filter(**in_range).values_list("record_index", flat=True))
        duplicates = set(DuplicateRecord.objects.filter(**in_range).values_list("record_index", flat=True))
        return _Settled(
            indexes=pairs | rejected | duplicates, pairs=len(pairs), rejected=len(rejected), duplicates=len(duplicates)
        )

    def _persist(
        self,
        settled: _Settled,
        candidates: dict[str, _Candidate],
        repeats: list[tuple[int, str]],
        rejected: list[RejectedArtifact],
    ) -> BatchOutcome:
        holders = self._pairs_holding(list(candidates))
        fresh = [
            (content_hash, candidate) for content_hash, candidate in candidates.items() if content_hash not in holders
        ]
        stored = synthetic_pairs_insert(
            batch=self.batch,
            pairs=[self._new_pair(candidate, content_hash) for content_hash, candidate in fresh],
            index=self.near_duplicates,
        )
        inserted = {content_hash: stored[c.record_index] for content_hash, c in fresh if c.record_index in stored}
        lost = [content_hash for content_hash, _ in fresh if content_hash not in inserted]
        if lost:
            holders.update(self._pairs_holding(lost))
        holders.update(inserted)
        duplicates = [
            self._duplicate(candidate.record_index, content_hash, holders)
            for content_hash, candidate in candidates.items()
            if content_hash not in inserted
        ]
        duplicates += [self._duplicate(record_index, content_hash, holders) for record_index, content_hash in repeats]
        DuplicateRecord.objects.bulk_create(duplicates, ignore_conflicts=True)
        RejectedArtifact.objects.bulk_create(rejected, ignore_conflicts=True)
        return BatchOutcome(
            accepted=settled.pairs + len(stored),
            rejected=settled.rejected + len(rejected),
            duplicates=settled.duplicates + len(duplicates),
        )

    def _duplicate(self, record_index: int, content_hash: str, holders: dict[str, int]) -> DuplicateRecord:
        return DuplicateRecord(
            job=self.job,
            record_index=record_index,
            content_hash=content_hash,
            duplicate_of_id=holders.get(content_hash),
        )

    def _pairs_holding(self, hashes: list[str]) -> dict[str, int]:
        """Ids of the pairs holding these hashes: the tenant's non-preview pairs, and a preview job's own."""
        return pairs_holding(
            tenant_id=self.job.tenant_id, hashes=hashes, job_id=None if self.job.production else self.job.pk
        )

    def _artifact(self, record_index: int, payload: dict, reasons: list[dict]) -> RejectedArtifact:
        # Evidence, kept whatever it holds: a NUL (which jsonb refuses) becomes U+FFFD.
        return RejectedArtifact(
            job=self.job, record_index=record_index, payload=without_nul(payload), reasons=without_nul(reasons)
        )

    def _new_pair(self, candidate: _Candidate, content_hash: str) -> NewSyntheticPair:
        """A new pending synthetic pair, with its metadata and lineage."""
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
        return NewSyntheticPair(
            record_index=record_index,
            question=record["question"],
            answer=record["answer"],
            context=record["context"],
            content_hash=content_hash,
            flags=candidate.flags,
            metadata=metadata,
            lineage=lineage,
            judgement=candidate.judgement,
        )
