"""Inserting a batch of generated (synthetic) pairs: near duplicates, quality scores, the rows, and
their buckets in the near-duplicate index, at COPY speed.

jobs_app decides which records become pairs (its schema check, rejections, exact duplicates) and
calls this with their content flags already made by `qa_app.assessment.content_flags`. An import
(services/import_batches.py) inserts its `imported` pairs through the same path: a batch then names its
import run instead of a job, and a record index is the line of the file.
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from synthgov.bulk import Meanwhile, insert_rows
from synthgov.errors import InvalidInput, TransitionRefused
from synthgov.history import record_change
from synthgov.text_limits import refuse_text_problems, without_nul

from ..assessment import LLM_JUDGE_SCORE, NearDuplicateIndex, assess_pair, index_pair, near_duplicate_flag, score
from ..assessment.minhash import record_text
from ..models import QAPair, lineage_taxonomy, normalised_content_hash
from ..selectors import pairs_holding, qa_pair_duplicate_of

SYNTHETIC_PAIR_COLUMNS = [
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
    "chapter_key",
    "subchapter_key",
    "tags",
    "scores",
    "flags",
    "quality_score",
    "decisions_needed",
    "review_round",
    "import_run_id",
    "created_by_id",
    "created_at",
    "updated_at",
]


@dataclass(frozen=True)
class SyntheticBatch:
    """What every pair of one batch shares: a job's (synthetic), or an import run's (imported)."""

    job_id: int | None
    template_version_id: int | None
    tenant_id: str
    locale: str
    is_preview: bool
    # Review decisions each pair needs (1, or 2 blind reviewers who must agree): the job's
    # setting or its template's, resolved by jobs_app (qa_app reads neither app).
    decisions_needed: int = 1
    source: str = QAPair.Source.SYNTHETIC
    import_run_id: int | None = None
    # Who brought the content in (an import's user): four eyes, someone else decides it.
    created_by_id: int | None = None

    @property
    def owner(self) -> dict:
        """The filter that finds the batch's pairs by record index."""
        return {"import_run_id": self.import_run_id} if self.import_run_id else {"job_id": self.job_id}


@dataclass
class NewSyntheticPair:
    record_index: int
    question: str
    answer: str
    context: str
    content_hash: str
    # Content flags (qa_app.assessment.content_flags) and any the generator added (a failed judge).
    flags: list[dict]
    metadata: dict
    lineage: dict
    # An LLM judge's judgement, stored beside the score's components and never weighed into it.
    judgement: dict | None = None

    @property
    def record(self) -> dict:
        return {"question": self.question, "answer": self.answer, "context": self.context}


def synthetic_pairs_insert(
    *,
    batch: SyntheticBatch,
    pairs: list[NewSyntheticPair],
    index: NearDuplicateIndex,
    meanwhile: Meanwhile | None = None,
) -> dict[int, int]:
    """Insert new pending synthetic pairs, each with its near-duplicate flag and quality score, and
    store their buckets; returns record index -> pair id of those that are stored.

    `pairs` carry distinct content that no pair of the tenant (or job) held when the caller looked;
    a pair another job inserted since is skipped (the unique constraint), so not every record index
    may come back. The index is the job's: it keeps the signatures it has seen between batches.
    `meanwhile` (no database) runs while PostgreSQL inserts the rows (`synthgov.bulk.insert_rows`).
    """
    if not pairs:
        return {}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    hasher = index.hasher
    signatures = hasher.signatures([record_text(pair.question, pair.answer, pair.context) for pair in pairs])
    buckets = hasher.buckets(signatures)
    matches = index.matches(signatures, buckets)
    rows, flags_of = [], {}
    for pair, match in zip(pairs, matches, strict=True):
        flags = pair.flags
        if match:
            # An earlier record of this batch has no id yet: it is filled in after the insert.
            flags = [*flags, near_duplicate_flag(match, match.pair_id)]
        flags_of[pair.record_index] = flags
        quality_score, scores = score(pair.record, flags)
        if pair.judgement:
            scores[LLM_JUDGE_SCORE] = pair.judgement
        rows.append(_row(batch, pair, now, flags=flags, scores=scores, quality_score=quality_score))
    # Generated rows are machine inserts in bulk: the job and each pair's lineage are
    # their record, so no history rows are written here (reviews write history).
    # Conflicts are skipped: a pair another job inserted a moment ago makes a duplicate.
    insert_rows(QAPair, SYNTHETIC_PAIR_COLUMNS, rows, skip_conflicts=True, meanwhile=meanwhile)
    indexes = [pair.record_index for pair in pairs]
    in_range = dict(
        QAPair.objects.filter(
            **batch.owner, record_index__gte=min(indexes), record_index__lte=max(indexes)
        ).values_list("record_index", "id")
    )
    stored = {pair.record_index: in_range[pair.record_index] for pair in pairs if pair.record_index in in_range}
    holders = {pair.content_hash: stored[pair.record_index] for pair in pairs if pair.record_index in stored}
    lost = [pair.content_hash for pair in pairs if pair.record_index not in stored]
    if lost:
        holders.update(pairs_holding(tenant_id=batch.tenant_id, hashes=lost, job_id=_own_job(batch)))
    _name_batch_near_duplicates(pairs, matches, flags_of, stored, holders)
    kept = [position for position, pair in enumerate(pairs) if pair.record_index in stored]
    index.remember([stored[pairs[position].record_index] for position in kept], signatures[kept], buckets[kept])
    return stored


def _own_job(batch: SyntheticBatch) -> int | None:
    """A preview job's pairs count as holders of content within the job (see `pairs_holding`)."""
    return batch.job_id if batch.is_preview else None


def _name_batch_near_duplicates(pairs, matches, flags_of, stored, holders) -> None:
    """Fill in the pair id of near-duplicate flags that point at an earlier record of the batch."""
    named = []
    for pair, match in zip(pairs, matches, strict=True):
        if match is None or match.batch_position is None or pair.record_index not in stored:
            continue
        flags = flags_of[pair.record_index]
        flags[-1] = {**flags[-1], "of": holders.get(pairs[match.batch_position].content_hash)}
        named.append(QAPair(pk=stored[pair.record_index], flags=flags))
    if named:
        QAPair.objects.bulk_update(named, ["flags"])


def _row(batch: SyntheticBatch, pair: NewSyntheticPair, now, *, flags, scores, quality_score) -> tuple:
    """A new pending synthetic pair, in SYNTHETIC_PAIR_COLUMNS order."""
    return (
        pair.question,
        pair.answer,
        pair.context,
        pair.content_hash,
        batch.locale,
        batch.tenant_id,
        str(batch.source),
        QAPair.ReviewStatus.PENDING.value,
        "",
        batch.job_id,
        batch.template_version_id,
        pair.record_index,
        batch.is_preview,
        # What the model call returned (the judge's rationale too) is kept whatever it holds; jsonb refuses a NUL.
        json.dumps(without_nul(pair.metadata)),
        json.dumps(pair.lineage),
        *lineage_taxonomy(pair.lineage),
        "[]",
        json.dumps(scores),
        json.dumps(flags),
        quality_score,
        batch.decisions_needed,
        1,
        batch.import_run_id,
        batch.created_by_id,
        now,
        now,
    )


@transaction.atomic
def synthetic_pair_promote(
    *,
    content: dict[str, str],
    tenant_id: str,
    locale: str,
    template_version_id: int,
    preview_job_id: int | None,
    metadata: dict,
    lineage: dict,
    acting_user,
    reason: str,
    decisions_needed: int = 1,
) -> QAPair:
    """A pending synthetic pair of content a reviewer edited and promoted (a rejected artifact), assessed
    like every pair. The caller checks the reviewer's permission; `preview_job_id` is the preview job
    whose own pairs count for duplicates (None for a production job)."""
    question, answer = content["question"].strip(), content["answer"].strip()
    context = (content.get("context") or "").strip()
    refuse_text_problems({"question": question, "answer": answer, "context": context})
    for name, value in (("question", question), ("answer", answer)):
        if not value:
            raise InvalidInput(f"The {name} of a promoted pair cannot be empty.", field=name)
    duplicate = qa_pair_duplicate_of(
        tenant_id=tenant_id, content_hash=normalised_content_hash(question, answer, context)
    )
    if duplicate:
        raise TransitionRefused(
            f"QA pair #{duplicate.pk} of tenant '{tenant_id}' already has this content; "
            "edit the text, or review that pair instead."
        )
    pair = QAPair(
        question=question,
        answer=answer,
        context=context,
        tenant_id=tenant_id,
        locale=locale,
        source=QAPair.Source.SYNTHETIC,
        template_version_id=template_version_id,
        is_preview=preview_job_id is not None,
        metadata=metadata,
        lineage=lineage,
        decisions_needed=decisions_needed,
        # The promoter typed (or vetted) this text: four eyes, someone else decides it.
        created_by=acting_user,
    )
    index = NearDuplicateIndex(tenant_id=tenant_id, job_id=preview_job_id)
    assess_pair(pair, index=index)
    record_change(pair, user=acting_user, action="promoted", reason=reason)
    pair.save()
    index_pair(pair, index=index)
    return pair
