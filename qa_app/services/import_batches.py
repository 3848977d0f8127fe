"""Writing one checked batch of an import: its pairs, its duplicates and line errors, and the run's
progress, in one transaction (`import_batch_commit`, called by `import_run_process`).

A batch's exact duplicates are found by content hash within the tenant (in the database, and among
the batch's own lines); the rest are inserted at COPY speed through `synthetic_pairs_insert`, which
scores them and finds near duplicates. `meanwhile` is the work to do while PostgreSQL inserts
(the next batch's reading and checks).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from synthgov.bulk import Meanwhile
from synthgov.history import record_bulk_change
from templates_app.selectors import taxonomy_keys_unknown

from ..assessment import NearDuplicateIndex
from ..imports.checking import CheckedLine
from ..imports.readers import Line, raw_of
from ..models import ImportLineIssue, ImportRun, QAPair
from ..selectors import pairs_holding
from . import decisions
from .synthetic import NewSyntheticPair, SyntheticBatch, synthetic_pairs_insert

LINE_TAXONOMY_UNKNOWN = (
    "{field} is {value!r}, which names no {what} in the taxonomy; use a chapter key or chapter/subchapter."
)


@dataclass
class _BatchOutcome:
    imported: int = 0
    duplicates: int = 0
    errors: int = 0


@transaction.atomic
def import_batch_commit(
    run_id: int, batch: list[CheckedLine], index: NearDuplicateIndex, *, meanwhile: Meanwhile
) -> ImportRun:
    run = ImportRun.objects.select_for_update().get(pk=run_id)
    if run.status != ImportRun.Status.RUNNING:
        return run
    # Another worker (the sweep's, while this one was only slow) may have committed these lines.
    batch = [checked for checked in batch if checked.line.number > run.lines_done]
    if batch:
        outcome = _import_lines(run, batch, index, meanwhile)
        ImportRun.objects.filter(pk=run.pk).update(
            lines_done=batch[-1].line.number,
            imported=F("imported") + outcome.imported,
            duplicates=F("duplicates") + outcome.duplicates,
            errors=F("errors") + outcome.errors,
            heartbeat_at=timezone.now(),
        )
        # Not refresh_from_db: django-fsm's lifts the status field's guard for the whole process.
        progress = ("lines_done", "imported", "duplicates", "errors", "heartbeat_at")
        for name, value in ImportRun.objects.filter(pk=run.pk).values(*progress).get().items():
            setattr(run, name, value)
    return run


def _import_lines(
    run: ImportRun, lines: list[CheckedLine], index: NearDuplicateIndex, meanwhile: Meanwhile
) -> _BatchOutcome:
    issues = [
        _issue(run, checked.line, ImportLineIssue.Kind.ERROR, checked.problem) for checked in lines if checked.problem
    ]
    contents = [checked for checked in lines if not checked.problem]
    candidates: dict[str, NewSyntheticPair] = {}
    repeats: list[tuple[Line, str]] = []
    locales: dict[int, str] = {}
    # The chapter field's values, checked against the taxonomy once per batch (two queries).
    named = {"/".join(filter(None, checked.taxonomy)) for checked in contents} - {""} if run.chapter_field else set()
    unknown = set(taxonomy_keys_unknown(named)) if named else set()
    for checked in contents:
        line, content, taxonomy = checked.line, checked.content, checked.taxonomy
        key = "/".join(filter(None, taxonomy))
        if key in unknown:
            what = "subchapter" if taxonomy[1] else "chapter"
            reason = LINE_TAXONOMY_UNKNOWN.format(field=run.chapter_field, value=key, what=what)
            issues.append(_issue(run, line, ImportLineIssue.Kind.ERROR, reason))
            continue
        if checked.content_hash in candidates:
            repeats.append((line, checked.content_hash))
            continue
        locales[line.number] = checked.locale
        candidates[checked.content_hash] = NewSyntheticPair(
            record_index=line.number,
            question=content.question,
            answer=content.answer,
            context=content.context,
            content_hash=checked.content_hash,
            flags=checked.flags,
            metadata=content.metadata,
            lineage=_lineage(run, line, taxonomy),
        )
    holders = pairs_holding(tenant_id=run.tenant_id, hashes=list(candidates))
    for content_hash in holders:
        line_number = candidates.pop(content_hash).record_index
        issues.append(_duplicate(run, line_number, holders[content_hash]))
    stored = _insert(run, list(candidates.values()), locales, index, meanwhile)
    lost = [pair for pair in candidates.values() if pair.record_index not in stored]
    if lost:
        # Another writer stored the same content a moment ago: a duplicate of that pair.
        late = pairs_holding(tenant_id=run.tenant_id, hashes=[pair.content_hash for pair in lost])
        issues.extend(_duplicate(run, pair.record_index, late.get(pair.content_hash)) for pair in lost)
    holder_of = {pair.content_hash: stored.get(pair.record_index) for pair in candidates.values()}
    holder_of.update(holders)
    issues.extend(_duplicate(run, line.number, holder_of.get(content_hash)) for line, content_hash in repeats)
    ImportLineIssue.objects.bulk_create(issues, ignore_conflicts=True)
    duplicates = sum(issue.kind == ImportLineIssue.Kind.DUPLICATE for issue in issues)
    return _BatchOutcome(imported=len(stored), duplicates=duplicates, errors=len(issues) - duplicates)


def _lineage(run: ImportRun, line: Line, taxonomy: tuple[str, str]) -> dict:
    lineage = {
        "import_run": run.pk,
        "file_name": run.file_name,
        "file_sha256": run.file_sha256,
        "line": line.number,
        "shape": run.shape,
    }
    chapter, subchapter = taxonomy
    if chapter:
        lineage["chapter"] = chapter
    if subchapter:
        lineage["subchapter"] = subchapter
    return lineage


def _issue(run: ImportRun, line: Line, kind: str, reason: str) -> ImportLineIssue:
    raw = line.raw or (raw_of(line.record) if line.record is not None else "")
    return ImportLineIssue(run=run, line=line.number, kind=kind, reason=reason, raw=raw.replace("\x00", "\ufffd"))


def _duplicate(run: ImportRun, line_number: int, holder: int | None) -> ImportLineIssue:
    reason = f"same content as QA pair #{holder}" if holder else "same content as another pair of the tenant"
    kind = ImportLineIssue.Kind.DUPLICATE
    return ImportLineIssue(run=run, line=line_number, kind=kind, reason=reason, pair_id=holder)


def _insert(
    run: ImportRun,
    pairs: list[NewSyntheticPair],
    locales: dict[int, str],
    index: NearDuplicateIndex,
    meanwhile: Meanwhile,
) -> dict[int, int]:
    """Insert the batch's new pairs, one insert per locale (a batch shares its locale); approve them
    when the run says so. Returns line -> pair id."""
    stored: dict[int, int] = {}
    by_locale: dict[str, list[NewSyntheticPair]] = {}
    for pair in pairs:
        by_locale.setdefault(locales[pair.record_index], []).append(pair)
    for locale, group in by_locale.items():
        batch = SyntheticBatch(
            job_id=None,
            template_version_id=None,
            tenant_id=run.tenant_id,
            locale=locale,
            is_preview=False,
            source=QAPair.Source.IMPORTED,
            import_run_id=run.pk,
            created_by_id=run.created_by_id,
        )
        stored.update(synthetic_pairs_insert(batch=batch, pairs=group, index=index, meanwhile=meanwhile))
    if run.approve and stored:
        _approve_on_import(run, sorted(stored.values()))
    return stored


def _approve_on_import(run: ImportRun, pks: list[int]) -> None:
    """The importer's approval, with its reason: a decision row and a history row per pair."""
    now = timezone.now()
    approved = decisions.pending_pair_state_after(
        lambda pair: pair.approve(by=run.created_by, at=now, reason=run.approval_reason)
    )
    decisions.insert_bulk_decisions(
        pks, reviewer=run.created_by, approve=True, reason=run.approval_reason, reject_reason=None, at=now
    )
    decisions.update_pairs(
        pks,
        review_status=approved,
        reviewed_by_id=run.created_by_id,
        reviewed_at=now,
        review_reason=run.approval_reason,
        updated_at=now,
    )
    record_bulk_change(QAPair, pks, user=run.created_by, reason=f"approved on import: {run.approval_reason}", at=now)
