"""One assessment for every pair's content, whatever made it: PII and locale flags, completeness,
near duplicates (MinHash, against the bucket index qa_app keeps) and the quality score.

Deterministic, no LLM. Generation assesses a batch at once (`content_flags` per record, then
`synthetic_pairs_insert` in qa_app.services for near duplicates, scores and the insert); a single
pair, typed, edited or promoted, goes through `assess_pair`. Each module here is one check.
"""

from dataclasses import dataclass

from django.conf import settings

from .index import NearDuplicateIndex, configured_hasher
from .language import locale_mismatch, locale_region
from .minhash import Match, record_text
from .pii import pii_flags
from .scoring import LLM_JUDGE_SCORE, components_for, quality

RECORD_FIELDS = ("question", "answer", "context")
# Flags and scores the assessment computes; any other (an LLM judge's) stay as they were.
NEAR_DUPLICATE = "near_duplicate"
ASSESSED_FLAG_CODES = ("locale_mismatch", NEAR_DUPLICATE)
# Every flag code a pair can carry, with what it means: the queue's flag filters offer these.
# "judge_failed" is raised by jobs_app's LLM judge (jobs_app.judge.JUDGE_FAILED; a test keeps them equal).
FLAG_CODES = {
    "pii_email": "PII: e-mail address",
    "pii_phone": "PII: phone number",
    "pii_card": "PII: payment card",
    "pii_iban": "PII: IBAN",
    "locale_mismatch": "Locale mismatch",
    NEAR_DUPLICATE: "Near-duplicate",
    "judge_failed": "LLM judge failed",
}

__all__ = [
    "FLAG_CODES",
    "LLM_JUDGE_SCORE",
    "Assessment",
    "NearDuplicateIndex",
    "assess_pair",
    "configured_hasher",
    "content_flags",
    "index_pair",
    "near_duplicate_flag",
    "score",
]


@dataclass(frozen=True)
class Assessment:
    flags: list[dict]
    scores: dict
    quality_score: float


def content_flags(record: dict, *, locale: str, locale_detected: bool = False) -> list[dict]:
    """PII flags (e-mail, phone, card by Luhn, IBAN) and a locale mismatch flag of the record's text.

    A `locale_detected` from this record's own text cannot mismatch it: the check is skipped.
    """
    flags = pii_flags({name: record[name] or "" for name in RECORD_FIELDS}, region=locale_region(locale))
    if locale_detected:
        return flags
    mismatch = locale_mismatch(
        f"{record['question']}\n{record['answer']}",
        locale,
        min_chars=settings.SYNTHGOV_LOCALE_MIN_CHARS,
        min_confidence=settings.SYNTHGOV_LOCALE_MIN_CONFIDENCE,
    )
    if mismatch:
        flags.append(mismatch)
    return flags


def near_duplicate_flag(match: Match, pair_id: int | None) -> dict:
    return {"code": NEAR_DUPLICATE, "of": pair_id, "similarity": round(match.similarity, 2)}


def score(record: dict, flags: list[dict]) -> tuple[float, dict]:
    """quality_score and its components, from the text and the flags raised on it."""
    return quality(components_for(record, flags))


def _is_assessed(flag: dict) -> bool:
    return flag["code"].startswith("pii_") or flag["code"] in ASSESSED_FLAG_CODES


def assess_pair(pair, *, index: NearDuplicateIndex | None = None) -> Assessment:
    """Assess one pair's current text and set its flags, scores and quality_score (not saved).

    Flags and scores the assessment does not make (an LLM judge's) are kept. Near duplicates are
    looked for among the tenant's non-preview pairs (and the job's own, for a job's pair), never
    the pair itself. Store its buckets with `index_pair` once it is saved.
    """
    index = index or NearDuplicateIndex(tenant_id=pair.tenant_id, job_id=pair.job_id)
    record = {name: getattr(pair, name) or "" for name in RECORD_FIELDS}
    flags = content_flags(record, locale=pair.locale)
    signatures = index.hasher.signatures([record_text(**record)])
    (match,) = index.matches(signatures, index.hasher.buckets(signatures), exclude_pair_id=pair.pk)
    if match is not None:
        flags.append(near_duplicate_flag(match, match.pair_id))
    quality_score, scores = score(record, flags)
    kept_flags = [flag for flag in pair.flags or [] if not _is_assessed(flag)]
    kept_scores = {name: value for name, value in (pair.scores or {}).items() if name not in scores}
    pair.flags = [*flags, *kept_flags]
    pair.scores = {**scores, **kept_scores}
    pair.quality_score = quality_score
    return Assessment(flags=pair.flags, scores=pair.scores, quality_score=quality_score)


def index_pair(pair, *, previous: dict | None = None, index: NearDuplicateIndex | None = None) -> None:
    """Store the buckets of a saved pair's text, removing those of its `previous` text (an edit)."""
    index = index or NearDuplicateIndex(tenant_id=pair.tenant_id, job_id=pair.job_id)
    if previous is not None:
        index.forget(pair.pk, **{name: previous.get(name) or "" for name in RECORD_FIELDS})
    signatures = index.hasher.signatures([record_text(*(getattr(pair, name) or "" for name in RECORD_FIELDS))])
    index.remember([pair.pk], signatures, index.hasher.buckets(signatures))
