from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_fsm import can_proceed

from synthgov.errors import (
    InvalidInput,
    PermissionRefused,
    TransitionRefused,
    permission_missing_message,
    require_permission,
)

# MAX_REASON_CHARS stays importable from here, where it was first defined.
from synthgov.fsm import reload_locked
from synthgov.history import MAX_REASON_CHARS as MAX_REASON_CHARS
from synthgov.history import change_reason as change_reason_for
from synthgov.history import clean_reason, record_bulk_change, record_change
from synthgov.text_limits import refuse_text_problems

from ..assessment import assess_pair, index_pair
from ..models import QAPair
from ..selectors import qa_pair_duplicate_of
from .claims import (  # noqa: F401  (services of the app)
    held_by_other,
    qa_pair_claim,
    qa_pair_claim_next,
    qa_pair_skip,
    refuse_claimed_by_other,
    release_claim,
)
from .synthetic import NewSyntheticPair, SyntheticBatch, synthetic_pair_promote, synthetic_pairs_insert  # noqa: F401  (services of the app)

REVIEW_PERMISSION = "qa_app.review_qapair"
CONTENT_FIELDS = ("question", "answer", "context")
REJECTION_NEEDS_REASON = "A rejection needs a reason the author can act on."
REVIEW_PERMISSION_MISSING = permission_missing_message("Reviewing a QA pair", REVIEW_PERMISSION)
BULK_REVIEW_CHUNK = 2000


@dataclass(frozen=True)
class BulkReviewResult:
    decided: int
    skipped: int


def _require_permission(user, codename: str, doing: str) -> None:
    require_permission(user, f"qa_app.{codename}", doing=doing)


def _require_review_permission(user) -> None:
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionRefused(REVIEW_PERMISSION_MISSING)


def _decide(pair: QAPair, *, approve: bool, acting_user, reason: str, at) -> None:
    transition = pair.approve if approve else pair.reject
    if not can_proceed(transition):
        raise TransitionRefused(
            f"QA pair #{pair.pk} is {pair.review_status}; only pending pairs can be "
            f"{'approved' if approve else 'rejected'} (reopen it first)."
        )
    transition(by=acting_user, at=at, reason=reason)


def _clean_reason(reason: str, *, required: bool) -> str:
    return clean_reason(reason, required_message=REJECTION_NEEDS_REASON if required else "")


@transaction.atomic
def qa_pair_approve(*, pair: QAPair, acting_user, reason: str = "") -> QAPair:
    return _review_one(pair, approve=True, acting_user=acting_user, reason=_clean_reason(reason, required=False))


@transaction.atomic
def qa_pair_reject(*, pair: QAPair, acting_user, reason: str) -> QAPair:
    return _review_one(pair, approve=False, acting_user=acting_user, reason=_clean_reason(reason, required=True))


def _lock(pair: QAPair) -> None:
    """Read the pair again under a row lock held until the transaction ends: of two concurrent
    decisions on one pair, the second waits and then sees the first (and is refused)."""
    reload_locked(pair)


def _review_one(pair: QAPair, *, approve: bool, acting_user, reason: str, edited: bool = False) -> QAPair:
    """The one decision path. `edited`: the reviewer changed the text before approving
    (qa_pair_edit_and_approve), counted apart ("partially accepted")."""
    _require_review_permission(acting_user)
    _lock(pair)
    now = timezone.now()
    refuse_claimed_by_other(pair, acting_user=acting_user, now=now)
    _decide(pair, approve=approve, acting_user=acting_user, reason=reason, at=now)
    action = ("approved with edits" if edited else "approved") if approve else "rejected"
    record_change(pair, user=acting_user, action=action, reason=reason)
    release_claim(pair)
    pair.save()
    return pair


@transaction.atomic
def qa_pair_reopen(*, pair: QAPair, acting_user, reason: str) -> QAPair:
    _require_review_permission(acting_user)
    _lock(pair)
    if not can_proceed(pair.reopen):
        raise TransitionRefused(f"QA pair #{pair.pk} is already pending.")
    reason = _clean_reason(reason, required=False)
    pair.reopen(by=acting_user, at=timezone.now(), reason=reason)
    record_change(pair, user=acting_user, action="reopened", reason=reason)
    pair.save()
    return pair


@transaction.atomic
def qa_pairs_review(*, pairs: Iterable[QAPair], approve: bool, acting_user, reason: str = "") -> BulkReviewResult:
    """Decide many pairs at once; pairs that are no longer pending are skipped, not failed.

    The pairs are read again under a row lock, chunk by chunk in id order (so two bulk reviews
    never deadlock): a pair another reviewer decided meanwhile, even after the caller loaded it,
    is skipped, and so is a pair another reviewer holds an unexpired claim on (services/claims.py);
    the others are decided. Each pair still goes through its FSM transition;
    because every decided pair gets the same decision, a chunk is stored with one UPDATE and its
    history rows are copied from the stored rows in the same transaction.
    """
    _require_review_permission(acting_user)
    reason = _clean_reason(reason, required=not approve)
    now = timezone.now()
    if isinstance(pairs, QuerySet):
        # Only the ids: the text of thousands of pairs stays in the database.
        ids = sorted(set(pairs.order_by().values_list("pk", flat=True)))
    else:
        ids = sorted({pair.pk for pair in pairs})
    change_reason = change_reason_for("approved" if approve else "rejected", reason)
    decided = 0
    for start in range(0, len(ids), BULK_REVIEW_CHUNK):
        locked = (
            QAPair.objects.filter(pk__in=ids[start : start + BULK_REVIEW_CHUNK])
            .select_for_update()
            .only("pk", "review_status", "claimed_by", "claimed_until")
            .order_by("pk")
        )
        chunk = []
        for pair in locked:
            if pair.review_status != QAPair.ReviewStatus.PENDING or held_by_other(pair, acting_user, now):
                continue
            _decide(pair, approve=approve, acting_user=acting_user, reason=reason, at=now)
            chunk.append(pair)
        if not chunk:
            continue
        QAPair.objects.filter(pk__in=[pair.pk for pair in chunk]).update(
            review_status=chunk[0].review_status,
            reviewed_by=acting_user,
            reviewed_at=now,
            review_reason=reason,
            updated_at=now,
            claimed_by=None,
            claimed_until=None,
        )
        record_bulk_change(QAPair, [pair.pk for pair in chunk], user=acting_user, reason=change_reason, at=now)
        decided += len(chunk)
    return BulkReviewResult(decided=decided, skipped=len(ids) - decided)


def qa_pair_refuse_duplicate(pair: QAPair) -> None:
    """InvalidInput when another pair of the tenant has the pair's normalised content (forms ask too)."""
    duplicate = qa_pair_duplicate_of(
        tenant_id=pair.tenant_id, content_hash=pair.compute_content_hash(), exclude_pk=pair.pk
    )
    if duplicate:
        raise InvalidInput(f"QA pair #{duplicate.pk} of tenant '{pair.tenant_id}' already has this content.")


@transaction.atomic
def qa_pair_create(*, pair: QAPair, acting_user) -> QAPair:
    """A pair typed by a person: source operator, pending review."""
    _require_permission(acting_user, "add_qapair", "Writing QA pairs")
    refuse_text_problems({field: getattr(pair, field) for field in CONTENT_FIELDS})
    pair.source = QAPair.Source.OPERATOR
    qa_pair_refuse_duplicate(pair)
    assess_pair(pair)
    record_change(pair, user=acting_user, action="created")
    pair.save()
    index_pair(pair)
    return pair


@transaction.atomic
def qa_pair_edit(*, pair: QAPair, acting_user, **changes) -> QAPair:
    """Change a pair's content; an approved pair goes back to review, as its text is new.

    "New" means any change a reviewer did not see, even of case or whitespace (which the
    normalised hash ignores: re-indented code is different code).
    """
    _require_permission(acting_user, "change_qapair", "Editing QA pairs")
    for field, value in changes.items():
        setattr(pair, field, value)
    refuse_text_problems({field: getattr(pair, field) for field in CONTENT_FIELDS})
    stored = QAPair.objects.filter(pk=pair.pk).values(*CONTENT_FIELDS).first() or {}
    text_changed = any(stored.get(field) != getattr(pair, field) for field in CONTENT_FIELDS)
    if pair.compute_content_hash() != pair.content_hash:
        qa_pair_refuse_duplicate(pair)
    reopen_reason = ""
    if text_changed and pair.review_status == QAPair.ReviewStatus.APPROVED:
        reopen_reason = "content edited after approval"
        pair.reopen(by=acting_user, at=timezone.now(), reason=reopen_reason)
    if text_changed:
        assess_pair(pair)
    record_change(pair, user=acting_user, action="edited", reason=reopen_reason)
    pair.save()
    if text_changed:
        index_pair(pair, previous=stored)
    return pair


@dataclass(frozen=True)
class EditAndApproveResult:
    pair: QAPair
    flags_added: list[str]
    flags_removed: list[str]
    quality_before: float | None
    quality_after: float | None


def _flag_codes(flags) -> set[str]:
    return {flag.get("code", "?") for flag in flags or []}


@transaction.atomic
def qa_pair_edit_and_approve(
    *, pair: QAPair, acting_user, question: str, answer: str, context: str, reason: str = ""
) -> EditAndApproveResult:
    """Correct a pending pair's text and approve it in one step.

    Two history rows: the edit (the row before it keeps the original text; a generated pair that
    has no history row yet gets one of its stored text first), then the approval, marked as made
    with edits. Every deterministic check runs again on the new text before the decision is
    stored; the result says which flags the edit raised or cleared.
    """
    _require_review_permission(acting_user)
    refuse_text_problems({"question": question, "answer": answer, "context": context})
    reason = _clean_reason(reason, required=False)
    _lock(pair)
    now = timezone.now()
    refuse_claimed_by_other(pair, acting_user=acting_user, now=now)
    if pair.review_status != QAPair.ReviewStatus.PENDING:
        raise TransitionRefused(
            f"QA pair #{pair.pk} is {pair.review_status}; only pending pairs can be approved (reopen it first)."
        )
    stored = {field: getattr(pair, field) for field in CONTENT_FIELDS}
    flags_before, quality_before = _flag_codes(pair.flags), pair.quality_score
    pair.question, pair.answer, pair.context = question, answer, context or ""
    if pair.compute_content_hash() != pair.content_hash:
        qa_pair_refuse_duplicate(pair)
    if not QAPair.history.filter(id=pair.pk).exists():
        # Inserted in bulk without history (generation): keep the text as it was before the edit.
        record_bulk_change(QAPair, [pair.pk], user=None, reason="as stored before an edit", at=now)
    assess_pair(pair)
    record_change(pair, user=acting_user, action="edited in review", reason=reason)
    pair.save()
    index_pair(pair, previous=stored)
    _review_one(pair, approve=True, acting_user=acting_user, reason=reason, edited=True)
    flags_after = _flag_codes(pair.flags)
    return EditAndApproveResult(
        pair=pair,
        flags_added=sorted(flags_after - flags_before),
        flags_removed=sorted(flags_before - flags_after),
        quality_before=quality_before,
        quality_after=pair.quality_score,
    )
