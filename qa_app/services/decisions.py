"""Individual review decisions: one ReviewDecision row per reviewer and round, never changed.

A pair's review_status follows from its current round's decisions:
- `decisions_needed == 1`: the one decision decides the pair.
- `decisions_needed == 2`: the first decision is only recorded (the pair stays pending, and no
  history row or review field shows it: the second reviewer decides blind); a second decision by
  another reviewer that agrees decides the pair, one that disagrees sends it to adjudication
  (`escalate`), where an adjudicator's decision is final and recorded as its own row.
Approve and approve-with-edits agree with each other; reject disagrees with both.

Four eyes on content: nobody decides a pair they wrote (`created_by`) or last edited
(`edited_by`), except the edit that is part of their own approve-with-edits decision.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from synthgov.history import pk_filter

from ..models import QAPair, RejectReason, ReviewDecision

Decision = ReviewDecision.Decision
CONTENT_FIELDS = ("question", "answer", "context")

OWN_CONTENT_WROTE = "You wrote QA pair #{pk}; another reviewer must decide it (four-eyes rule on content)."
OWN_CONTENT_EDITED = "You edited QA pair #{pk}; another reviewer must decide it (four-eyes rule on content)."
ALREADY_DECIDED_IN_ROUND = (
    "You already decided QA pair #{pk} in this review round; it needs the decision of another reviewer."
)
ADJUDICATOR_DECIDED_IN_ROUND = (
    "You decided QA pair #{pk} in the round under adjudication; another adjudicator must decide it."
)
NOT_PENDING = "QA pair #{pk} is {status}; only pending pairs can be {verb} (reopen it first)."
AWAITING_ADJUDICATION = (
    "QA pair #{pk} is awaiting adjudication: its reviewers disagreed, and only an adjudicator can decide it now."
)
NOT_AWAITING_ADJUDICATION = "QA pair #{pk} is {status}; only pairs awaiting adjudication can be adjudicated."
UNKNOWN_REJECT_REASON = "No active reject reason with code {code!r}; the active ones are: {codes}."


@dataclass(frozen=True)
class Outcome:
    """What one decision did to its pair."""

    decision: ReviewDecision
    # "decided" (approved/rejected), "recorded" (waits for another reviewer), "escalated" (to adjudication).
    effect: str


def own_content_refusal(*, pair: QAPair, user, edited: bool = False) -> str | None:
    """Why `user` may not decide `pair` because the text is theirs, or None."""
    if not settings.SYNTHGOV_FOUR_EYES:
        return None
    if pair.created_by_id is not None and pair.created_by_id == user.pk:
        return OWN_CONTENT_WROTE.format(pk=pair.pk)
    if not edited and pair.edited_by_id is not None and pair.edited_by_id == user.pk:
        return OWN_CONTENT_EDITED.format(pk=pair.pk)
    return None


def refuse_own_content(*, pair: QAPair, user, edited: bool = False) -> None:
    refusal = own_content_refusal(pair=pair, user=user, edited=edited)
    if refusal:
        raise PermissionRefused(refusal)


def refuse_unless_pending(pair: QAPair, *, approve: bool) -> None:
    if pair.review_status == QAPair.ReviewStatus.AWAITING_ADJUDICATION:
        raise TransitionRefused(AWAITING_ADJUDICATION.format(pk=pair.pk))
    if pair.review_status != QAPair.ReviewStatus.PENDING:
        verb = "approved" if approve else "rejected"
        raise TransitionRefused(NOT_PENDING.format(pk=pair.pk, status=pair.review_status, verb=verb))


def reject_reason_for(code: str) -> RejectReason | None:
    """The active reject reason with this code (None for an empty code); InvalidInput (field reason_code) otherwise."""
    if not code:
        return None
    found = RejectReason.objects.filter(code=code, active=True).first()
    if found is None:
        codes = ", ".join(RejectReason.objects.filter(active=True).values_list("code", flat=True)) or "(none)"
        raise InvalidInput(UNKNOWN_REJECT_REASON.format(code=code, codes=codes), field="reason_code")
    return found


def reason_text(reject_reason: RejectReason | None, reason: str) -> str:
    """What a rejection records as its reason: the chosen reason's label, and what the reviewer typed."""
    if reject_reason is None:
        return reason
    return f"{reject_reason.label}: {reason}" if reason else reject_reason.label


def round_decisions(pair: QAPair) -> list[ReviewDecision]:
    """The reviewers' (not adjudicators') decisions of the pair's current round, oldest first."""
    return list(
        ReviewDecision.objects.filter(pair=pair, round=pair.review_round, is_adjudication=False).order_by(
            "decided_at", "pk"
        )
    )


def _decision_value(*, approve: bool, edited: bool) -> str:
    if not approve:
        return Decision.REJECT
    return Decision.APPROVE_WITH_EDITS if edited else Decision.APPROVE


def _text_before_edit(pair: QAPair) -> dict | None:
    """The text the pair had before its latest edit: the history row before the latest one."""
    rows = list(pair.history.order_by("-history_id").values(*CONTENT_FIELDS)[1:2])
    return rows[0] if rows else None


def decide(
    pair: QAPair,
    *,
    approve: bool,
    acting_user,
    reason: str,
    at,
    edited: bool = False,
    original: dict | None = None,
    reject_reason: RejectReason | None = None,
) -> Outcome:
    """Record one reviewer's decision on a locked, pending pair and move the pair as its round says.

    The caller checked the permission and holds the row lock; it saves the pair (with history)
    when the outcome is "decided" or "escalated". A "recorded" decision leaves the pair as it is.
    """
    refuse_own_content(pair=pair, user=acting_user, edited=edited)
    earlier = round_decisions(pair)
    if any(decision.reviewer_id == acting_user.pk for decision in earlier):
        raise TransitionRefused(ALREADY_DECIDED_IN_ROUND.format(pk=pair.pk))
    if edited and original is None:
        original = _text_before_edit(pair)
    decision = ReviewDecision.objects.create(
        pair=pair,
        reviewer=acting_user,
        decision=_decision_value(approve=approve, edited=edited),
        reason=reason,
        reject_reason=reject_reason,
        round=pair.review_round,
        original=original if edited else None,
        edited={field: getattr(pair, field) for field in CONTENT_FIELDS} if edited else None,
        decided_at=at,
    )
    if len(earlier) + 1 < pair.decisions_needed:
        return Outcome(decision, "recorded")
    if all(earlier_decision.approves == approve for earlier_decision in earlier):
        transition = pair.approve if approve else pair.reject
        transition(by=acting_user, at=at, reason=reason)
        return Outcome(decision, "decided")
    pair.escalate()
    return Outcome(decision, "escalated")


def adjudicate(
    pair: QAPair, *, approve: bool, acting_user, reason: str, at, reject_reason: RejectReason | None = None
) -> ReviewDecision:
    """The final decision on a locked pair awaiting adjudication, by someone who did not decide its round."""
    if pair.review_status != QAPair.ReviewStatus.AWAITING_ADJUDICATION:
        raise TransitionRefused(NOT_AWAITING_ADJUDICATION.format(pk=pair.pk, status=pair.review_status))
    refuse_own_content(pair=pair, user=acting_user)
    if any(decision.reviewer_id == acting_user.pk for decision in round_decisions(pair)):
        raise PermissionRefused(ADJUDICATOR_DECIDED_IN_ROUND.format(pk=pair.pk))
    decision = ReviewDecision.objects.create(
        pair=pair,
        reviewer=acting_user,
        decision=_decision_value(approve=approve, edited=False),
        reason=reason,
        reject_reason=reject_reason,
        round=pair.review_round,
        is_adjudication=True,
        decided_at=at,
    )
    transition = pair.adjudicate_approve if approve else pair.adjudicate_reject
    transition(by=acting_user, at=at, reason=reason)
    return decision


def bulk_round_decisions(pairs: list[QAPair]) -> dict[int, list[tuple[int, bool]]]:
    """For pairs needing two decisions: pair id -> [(reviewer id, approves)] of its current round, one query."""
    if not pairs:
        return {}
    rounds = {pair.pk: pair.review_round for pair in pairs}
    found: dict[int, list[tuple[int, bool]]] = {}
    rows = ReviewDecision.objects.filter(pair_id__in=list(rounds), is_adjudication=False).values_list(
        "pair_id", "round", "reviewer_id", "decision"
    )
    for pair_id, round_number, reviewer_id, decision in rows:
        if round_number == rounds[pair_id]:
            found.setdefault(pair_id, []).append((reviewer_id, decision != Decision.REJECT))
    return found


def insert_bulk_decisions(
    pks: list[int], *, reviewer, approve: bool, reason: str, reject_reason: RejectReason | None, at
) -> int:
    """One decision row per pair, copied with the pair's current round in one INSERT ... SELECT."""
    if not pks:
        return 0
    quote = connection.ops.quote_name
    columns = ["pair_id", "reviewer_id", "decision", "reason", "reject_reason_id", "round", "is_adjudication"]
    columns.append("decided_at")
    where, pk_params = pk_filter(quote("id"), pks)
    sql = (
        f"INSERT INTO {quote(ReviewDecision._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
        f"SELECT {quote('id')}, %s, %s, %s, %s, {quote('review_round')}, %s, %s "
        f"FROM {quote(QAPair._meta.db_table)} WHERE {where}"
    )
    decision = _decision_value(approve=approve, edited=False)
    params = [reviewer.pk, decision, reason, reject_reason.pk if reject_reason else None, False, at, *pk_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


LOCKED_COLUMNS = (
    "id",
    "tenant_id",
    "review_status",
    "decisions_needed",
    "review_round",
    "created_by_id",
    "edited_by_id",
)


def pending_pair_state_after(transition) -> str:
    """The state a pending pair reaches through `transition` (run on an unsaved pending pair): bulk
    writers store that state with one UPDATE, the FSM still deciding what it is."""
    pair = QAPair(review_status=QAPair.ReviewStatus.PENDING)
    transition(pair)
    return pair.review_status


def lock_pairs(pks: list[int], *, held: tuple[str, list]) -> list[tuple]:
    """(id, tenant_id, review_status, decisions_needed, review_round, created_by_id, edited_by_id, held) of the
    pairs, read under SELECT ... FOR UPDATE in id order (so two bulk reviews never deadlock);
    `held` is the SQL of a condition on the row and its params (claims.held_by_other_sql)."""
    quote = connection.ops.quote_name
    where, params = pk_filter(quote("id"), pks)
    held_sql, held_params = held
    columns = ", ".join(quote(column) for column in LOCKED_COLUMNS)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, CASE WHEN {held_sql} THEN 1 ELSE 0 END FROM {quote(QAPair._meta.db_table)}"
            f" WHERE {where} ORDER BY {quote('id')}{lock}",
            held_params + params,
        )
        return cursor.fetchall()


def update_pairs(pks: list[int], **values) -> None:
    """One UPDATE of the given columns (database column names) on the pairs."""
    if not pks:
        return
    quote = connection.ops.quote_name
    where, params = pk_filter(quote("id"), pks)
    assignments = ", ".join(f"{quote(column)} = %s" for column in values)
    adapted = [
        connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
        for value in values.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(QAPair._meta.db_table)} SET {assignments} WHERE {where}", [*adapted, *params])
