from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
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
from tenants_app.scoping import tenant_keys_visible_to
from tenants_app.services import tenant_require, tenant_require_visible

from ..assessment import assess_pair, index_pair
from ..models import QAPair, RejectReason
from ..selectors import qa_pair_duplicate_of
from . import claims, decisions
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
ADJUDICATE_PERMISSION = "qa_app.adjudicate_qapair"
ADJUDICATE_PERMISSION_MISSING = permission_missing_message("Adjudicating a QA pair", ADJUDICATE_PERMISSION)
REOPEN_NEEDS_REASON = "Reopening a pair needs a reason: say what the next reviewer should look at."
ESCALATED = "escalated: the reviewers disagree; awaiting adjudication"
BULK_REVIEW_CHUNK = 2000


@dataclass(frozen=True)
class BulkReviewResult:
    # Pairs this review decided (approved or rejected).
    decided: int
    # Pairs it did not touch: no longer pending, already decided by this reviewer in the round, or their own text.
    skipped: int
    # Decisions recorded on pairs that need a second reviewer's (the pairs stay pending).
    recorded: int = 0
    # Pairs whose second decision disagreed with the first: sent to adjudication.
    escalated: int = 0
    # Of the skipped: pairs the reviewer wrote or edited (four-eyes rule on content).
    own_content: int = 0


def _require_permission(user, codename: str, doing: str) -> None:
    require_permission(user, f"qa_app.{codename}", doing=doing)


def _require_review_permission(user) -> None:
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionRefused(REVIEW_PERMISSION_MISSING)


def _decide(pair: QAPair, *, approve: bool, acting_user, reason: str, at) -> None:
    transition = pair.approve if approve else pair.reject
    if not can_proceed(transition):
        decisions.refuse_unless_pending(pair, approve=approve)
    transition(by=acting_user, at=at, reason=reason)


def _clean_reason(reason: str, *, required: bool) -> str:
    return clean_reason(reason, required_message=REJECTION_NEEDS_REASON if required else "")


def _rejection(reason: str, reason_code: str) -> tuple[str, RejectReason | None]:
    """A rejection's reason text and chosen RejectReason: a code, free text, or both; one is required."""
    reject_reason = decisions.reject_reason_for(reason_code)
    reason = _clean_reason(reason, required=reject_reason is None)
    return clean_reason(decisions.reason_text(reject_reason, reason)), reject_reason


@transaction.atomic
def qa_pair_approve(*, pair: QAPair, acting_user, reason: str = "") -> QAPair:
    return _review_one(pair, approve=True, acting_user=acting_user, reason=_clean_reason(reason, required=False))


@transaction.atomic
def qa_pair_reject(*, pair: QAPair, acting_user, reason: str = "", reason_code: str = "") -> QAPair:
    """Reject with a reason: free text, an active RejectReason's code, or both (label: text)."""
    reason, reject_reason = _rejection(reason, reason_code)
    return _review_one(pair, approve=False, acting_user=acting_user, reason=reason, reject_reason=reject_reason)


def _lock(pair: QAPair, acting_user) -> None:
    """Read the pair again under a row lock held until the transaction ends: of two concurrent
    decisions on one pair, the second waits and then sees the first (and is refused). A person
    who does not see the pair's tenant is refused before anything of its state is told."""
    reload_locked(pair)
    tenant_require_visible(acting_user=acting_user, key=pair.tenant_id)


def _review_one(
    pair: QAPair,
    *,
    approve: bool,
    acting_user,
    reason: str,
    edited: bool = False,
    original: dict | None = None,
    reject_reason: RejectReason | None = None,
) -> QAPair:
    """The one decision path of a single pair (approve, reject, and the queue's edit-and-approve).

    Writes the reviewer's ReviewDecision row; the pair changes (with a history row) when the
    decision decides it or sends it to adjudication. `edited`: the decision approves text the
    reviewer has just edited (recorded as approve-with-edits, with the text before and after;
    `original` defaults to the pair's text before its latest edit, from its history), and the
    four-eyes rule lets that edit pass.
    """
    _require_review_permission(acting_user)
    _lock(pair, acting_user)
    now = timezone.now()
    refuse_claimed_by_other(pair, acting_user=acting_user, now=now)
    decisions.refuse_unless_pending(pair, approve=approve)
    outcome = decisions.decide(
        pair,
        approve=approve,
        acting_user=acting_user,
        reason=reason,
        at=now,
        edited=edited,
        original=original,
        reject_reason=reject_reason,
    )
    if outcome.effect == "recorded":
        # The first of two blind decisions leaves the pair (and its history) as it was; only the claim ends.
        QAPair.objects.filter(pk=pair.pk).update(claimed_by=None, claimed_until=None)
        return pair
    if outcome.effect == "decided":
        action = ("approved with edits" if edited else "approved") if approve else "rejected"
        record_change(pair, user=acting_user, action=action, reason=reason)
    else:
        record_change(pair, user=acting_user, action=ESCALATED)
    release_claim(pair)
    pair.save()
    return pair


@transaction.atomic
def qa_pair_adjudicate(*, pair: QAPair, approve: bool, acting_user, reason: str = "", reason_code: str = "") -> QAPair:
    """The final decision on a pair whose reviewers disagreed, by a user with adjudicate_qapair
    who did not decide that round; recorded as its own ReviewDecision (is_adjudication)."""
    if not acting_user.has_perm(ADJUDICATE_PERMISSION):
        raise PermissionRefused(ADJUDICATE_PERMISSION_MISSING)
    reject_reason = None
    if approve:
        reason = _clean_reason(reason, required=False)
    else:
        reason, reject_reason = _rejection(reason, reason_code)
    _lock(pair, acting_user)
    decisions.adjudicate(
        pair, approve=approve, acting_user=acting_user, reason=reason, at=timezone.now(), reject_reason=reject_reason
    )
    action = "adjudicated: approved" if approve else "adjudicated: rejected"
    record_change(pair, user=acting_user, action=action, reason=reason)
    pair.save()
    return pair


@transaction.atomic
def qa_pair_reopen(*, pair: QAPair, acting_user, reason: str) -> QAPair:
    """Send a decided pair (or one awaiting adjudication) back to review: a new round. A reason is required."""
    _require_review_permission(acting_user)
    reason = clean_reason(reason, required_message=REOPEN_NEEDS_REASON)
    _lock(pair, acting_user)
    if not can_proceed(pair.reopen):
        raise TransitionRefused(f"QA pair #{pair.pk} is already pending.")
    pair.reopen(by=acting_user, at=timezone.now(), reason=reason)
    record_change(pair, user=acting_user, action="reopened", reason=reason)
    pair.save()
    return pair


@transaction.atomic
def qa_pairs_review(
    *, pairs: Iterable[QAPair], approve: bool, acting_user, reason: str = "", reason_code: str = ""
) -> BulkReviewResult:
    """Decide many pairs at once; pairs that are no longer pending are skipped, not failed.

    The pairs are read again under a row lock, chunk by chunk in id order (so two bulk reviews
    never deadlock): a pair another reviewer decided meanwhile, even after the caller loaded it,
    is skipped, and so are a pair another reviewer holds an unexpired claim on (services/claims.py)
    and the pairs of tenants the reviewer does not see; the others are decided. Each counts as the
    reviewer's individual decision:
    one ReviewDecision row per pair, and pairs that need two decisions follow the same rules as
    one by one (first decision recorded blind, agreement decides, disagreement escalates). Pairs
    the reviewer wrote or edited are skipped (four eyes). Because every pair gets the same
    decision, a chunk is stored with one INSERT ... SELECT of decision rows and one UPDATE per
    outcome, and its history rows are copied from the locked rows (with the decision's values)
    in the same transaction.
    """
    _require_review_permission(acting_user)
    reject_reason = None
    if approve:
        reason = _clean_reason(reason, required=False)
    else:
        reason, reject_reason = _rejection(reason, reason_code)
    now = timezone.now()
    if isinstance(pairs, QuerySet):
        # Only the ids: the text of thousands of pairs stays in the database.
        ids = sorted(set(pairs.order_by().values_list("pk", flat=True)))
    else:
        ids = sorted({pair.pk for pair in pairs})
    change_reason = change_reason_for("approved" if approve else "rejected", reason)
    totals = {"decided": 0, "recorded": 0, "escalated": 0, "own_content": 0}
    # Every pair decided here goes from pending through the same transition (no per-pair
    # conditions), so the FSM is asked once, on a pending pair, for each target state: a refused
    # transition refuses the whole review before anything is written.
    decided_status = decisions.pending_pair_state_after(
        lambda pair: _decide(pair, approve=approve, acting_user=acting_user, reason=reason, at=now)
    )
    escalated_status = decisions.pending_pair_state_after(lambda pair: pair.escalate())
    four_eyes = settings.SYNTHGOV_FOUR_EYES
    visible_tenants = tenant_keys_visible_to(acting_user)
    claimed_elsewhere = claims.held_by_other_sql(acting_user, now)
    for start in range(0, len(ids), BULK_REVIEW_CHUNK):
        # Plain tuples, not model instances: at 10,000 pairs, building instances costs more than the UPDATE.
        chunk_ids = ids[start : start + BULK_REVIEW_CHUNK]
        locked = decisions.lock_pairs(chunk_ids, held=claimed_elsewhere)
        pending = []
        for row in map(_LockedPair._make, locked):
            if row.review_status != QAPair.ReviewStatus.PENDING or row.held_by_other:
                continue
            if visible_tenants is not None and row.tenant_id not in visible_tenants:
                continue
            if four_eyes and acting_user.pk in (row.created_by_id, row.edited_by_id):
                totals["own_content"] += 1
                continue
            pending.append(row)
        earlier = decisions.bulk_round_decisions([row for row in pending if row.decisions_needed > 1])
        final, recorded, escalated = [], [], []
        for pair in pending:
            round_so_far = earlier.get(pair.pk, [])
            if any(reviewer_id == acting_user.pk for reviewer_id, _ in round_so_far):
                continue
            if len(round_so_far) + 1 < pair.decisions_needed:
                recorded.append(pair)
            elif all(approves == approve for _, approves in round_so_far):
                final.append(pair)
            else:
                escalated.append(pair)
        decisions.insert_bulk_decisions(
            [pair.pk for pair in final + recorded + escalated],
            reviewer=acting_user,
            approve=approve,
            reason=reason,
            reject_reason=reject_reason,
            at=now,
        )
        if final:
            final_pks = [pair.pk for pair in final]
            decided = {
                "review_status": decided_status,
                "reviewed_by_id": acting_user.pk,
                "reviewed_at": now,
                "review_reason": reason,
                "updated_at": now,
            }
            # The history rows first, as the rows will be (they are locked): each row is read once.
            record_bulk_change(QAPair, final_pks, user=acting_user, reason=change_reason, at=now, changes=decided)
            decisions.update_pairs(final_pks, **decided, claimed_by_id=None, claimed_until=None)
        if escalated:
            decisions.update_pairs(
                [pair.pk for pair in escalated],
                review_status=escalated_status,
                updated_at=now,
                claimed_by_id=None,
                claimed_until=None,
            )
            record_bulk_change(QAPair, [pair.pk for pair in escalated], user=acting_user, reason=ESCALATED, at=now)
        totals["decided"] += len(final)
        totals["recorded"] += len(recorded)
        totals["escalated"] += len(escalated)
    touched = totals["decided"] + totals["recorded"] + totals["escalated"]
    return BulkReviewResult(skipped=len(ids) - touched, **totals)


class _LockedPair(NamedTuple):
    pk: int
    tenant_id: str
    review_status: str
    decisions_needed: int
    review_round: int
    created_by_id: int | None
    edited_by_id: int | None
    held_by_other: int


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
    tenant_require(acting_user=acting_user, key=pair.tenant_id)
    refuse_text_problems({field: getattr(pair, field) for field in CONTENT_FIELDS})
    pair.source = QAPair.Source.OPERATOR
    qa_pair_refuse_duplicate(pair)
    pair.created_by = acting_user
    assess_pair(pair)
    record_change(pair, user=acting_user, action="created")
    pair.save()
    index_pair(pair)
    return pair


PAIR_STAYS_IN_ITS_TENANT = (
    "QA pair #{pk} belongs to tenant '{tenant}' and stays there; to give another tenant this content, "
    "create a pair there."
)
REOPENED_BY_EDITS = {
    QAPair.ReviewStatus.APPROVED: "content edited after approval",
    QAPair.ReviewStatus.AWAITING_ADJUDICATION: "content edited while awaiting adjudication",
}


@transaction.atomic
def qa_pair_edit(*, pair: QAPair, acting_user, **changes) -> QAPair:
    """Change a pair's content; an approved pair goes back to review, as its text is new.

    "New" means any change a reviewer did not see, even of case or whitespace (which the
    normalised hash ignores: re-indented code is different code).
    """
    _require_permission(acting_user, "change_qapair", "Editing QA pairs")
    stored = QAPair.objects.filter(pk=pair.pk).values("tenant_id", *CONTENT_FIELDS).first() or {}
    stored_tenant = stored.pop("tenant_id", pair.tenant_id)
    tenant_require_visible(acting_user=acting_user, key=stored_tenant)
    for field, value in changes.items():
        setattr(pair, field, value)
    if pair.tenant_id != stored_tenant:
        raise InvalidInput(PAIR_STAYS_IN_ITS_TENANT.format(pk=pair.pk, tenant=stored_tenant), field="tenant_id")
    refuse_text_problems({field: getattr(pair, field) for field in CONTENT_FIELDS})
    status_before = pair.review_status
    text_changed = _take_new_text(pair, stored=stored, acting_user=acting_user)
    reopen_reason = ""
    if text_changed and status_before in REOPENED_BY_EDITS:
        reopen_reason = REOPENED_BY_EDITS[status_before]
        pair.reopen(by=acting_user, at=timezone.now(), reason=reopen_reason)
    record_change(pair, user=acting_user, action="edited", reason=reopen_reason)
    pair.save()
    if text_changed:
        index_pair(pair, previous=stored)
    return pair


def _take_new_text(pair: QAPair, *, stored: dict, acting_user) -> bool:
    """The rule of every edit, on a pair holding its new text (`stored`: the text before it):
    refuse a text another pair of the tenant has; when the text changed, record the editor (who
    may then not decide it: four eyes), assess it again, and on a pending pair start a new round,
    since decisions already made in this one were on the old text (a decided pair is reopened by
    the caller, which starts one). Returns whether the text changed."""
    if pair.compute_content_hash() != pair.content_hash:
        qa_pair_refuse_duplicate(pair)
    text_changed = any(stored.get(field) != getattr(pair, field) for field in CONTENT_FIELDS)
    if text_changed:
        pair.edited_by = acting_user
        assess_pair(pair)
        if pair.review_status == QAPair.ReviewStatus.PENDING:
            pair.review_round += 1
    return text_changed


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
    _lock(pair, acting_user)
    now = timezone.now()
    refuse_claimed_by_other(pair, acting_user=acting_user, now=now)
    decisions.refuse_unless_pending(pair, approve=True)
    stored = {field: getattr(pair, field) for field in CONTENT_FIELDS}
    flags_before, quality_before = _flag_codes(pair.flags), pair.quality_score
    pair.question, pair.answer, pair.context = question, answer, context or ""
    if not QAPair.history.filter(id=pair.pk).exists():
        # Inserted in bulk without history (generation): keep the text as it was before the edit.
        record_bulk_change(QAPair, [pair.pk], user=None, reason="as stored before an edit", at=now)
    _take_new_text(pair, stored=stored, acting_user=acting_user)
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
