"""Claims: opening a pair from the review queue keeps it for that reviewer a few minutes, so two
reviewers on one queue are never handed the same pair.

A claim is two columns on the pair (`claimed_by`, `claimed_until`), written with conditional
UPDATEs and never through save(): it is who is looking, not a change to the pair, so it has no
history row. A claim ends by itself at `claimed_until` (SYNTHGOV_REVIEW_CLAIM_SECONDS after it was
taken), on a decision (`_review_one` releases it), on a skip, and when the reviewer asks for the
next pair (one claim per reviewer at a time).

Handing out the next pair under concurrency: on PostgreSQL the candidate row is chosen with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two reviewers asking at the same moment lock different
rows; on SQLite (one writer at a time, IMMEDIATE transactions) the claim is a conditional UPDATE
that only succeeds while the pair is still pending and unclaimed, trying the next candidate when
it does not. Both end in the same conditional UPDATE, which is what guarantees one holder.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from synthgov.errors import TransitionRefused, require_permission
from tenants_app.services import tenant_require_visible

from ..models import QAPair
from ..selectors import review_queue

REVIEW_PERMISSION = "qa_app.review_qapair"
REVIEWING = "Reviewing a QA pair"
CLAIMED_BY_OTHER = "QA pair #{pk} is being reviewed by {user} until {until:%H:%M:%S}; take another pair."
NOT_PENDING = "QA pair #{pk} is {status}; only pending pairs are reviewed (reopen it first)."
# Candidates read per attempt on SQLite; more than one so that a lost race moves to the next.
SQLITE_CANDIDATES = 10
CLAIM_ATTEMPTS = 5
# A reviewer's remembered skips that `next` leaves out (the caller keeps them; see README).
MAX_EXCLUDED = 1000


def claim_free(user, now) -> Q:
    """Pairs no other reviewer holds an unexpired claim on."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)


def claim_expiry(now):
    return now + timedelta(seconds=settings.SYNTHGOV_REVIEW_CLAIM_SECONDS)


def held_by_other(pair: QAPair, user, now) -> bool:
    return (
        pair.claimed_by_id is not None
        and pair.claimed_by_id != user.pk
        and pair.claimed_until is not None
        and pair.claimed_until > now
    )


def held_by_other_sql(user, now) -> tuple[str, list]:
    """SQL (and params) true for a row of qa_app_qapair that another reviewer holds an unexpired
    claim on: `held_by_other` for bulk decisions, read with the row lock in the same query."""
    quote = connection.ops.quote_name
    return (
        f"({quote('claimed_by_id')} IS NOT NULL AND {quote('claimed_by_id')} <> %s AND {quote('claimed_until')} > %s)",
        [user.pk, connection.ops.adapt_datetimefield_value(now)],
    )


def refuse_claimed_by_other(pair: QAPair, *, acting_user, now) -> None:
    """TransitionRefused when another reviewer holds an unexpired claim on the (freshly read) pair."""
    if held_by_other(pair, acting_user, now):
        holder = get_user_model()._default_manager.filter(pk=pair.claimed_by_id).values_list("username", flat=True)
        raise TransitionRefused(
            CLAIMED_BY_OTHER.format(
                pk=pair.pk, user=holder.first() or "another reviewer", until=timezone.localtime(pair.claimed_until)
            )
        )


def release_claim(pair: QAPair) -> None:
    """Clear the claim on the instance (the caller's save() stores it)."""
    pair.claimed_by = None
    pair.claimed_until = None


def _release_claims_of(user) -> None:
    QAPair.objects.filter(claimed_by=user).update(claimed_by=None, claimed_until=None)


def _take(pk: int, user, now) -> bool:
    """The conditional UPDATE: claims the pair only while it is pending and free."""
    taken = QAPair.objects.filter(claim_free(user, now), pk=pk, review_status=QAPair.ReviewStatus.PENDING).update(
        claimed_by=user, claimed_until=claim_expiry(now)
    )
    return taken == 1


@transaction.atomic
def qa_pair_claim_next(
    *, acting_user, filters: dict | None = None, exclude: Iterable[int] = (), now=None
) -> QAPair | None:
    """Claim the next pair of the queue that `filters` (with its "order") describes for
    `acting_user`, leaving out the pairs in `exclude` (the reviewer's skips); None when the queue
    is empty. The reviewer's earlier claim is released first."""
    require_permission(acting_user, REVIEW_PERMISSION, doing=REVIEWING)
    now = now or timezone.now()
    _release_claims_of(acting_user)
    queue = review_queue(acting_user=acting_user, params=filters, now=now)
    excluded = sorted(set(exclude))[:MAX_EXCLUDED]
    if excluded:
        queue = queue.exclude(pk__in=excluded)
    for _ in range(CLAIM_ATTEMPTS):
        if connection.vendor == "postgresql":
            candidates = list(queue.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:1])
        else:
            candidates = list(queue.values_list("pk", flat=True)[:SQLITE_CANDIDATES])
        if not candidates:
            return None
        for pk in candidates:
            if _take(pk, acting_user, now):
                return QAPair.objects.select_related("claimed_by").get(pk=pk)
    return None


@transaction.atomic
def qa_pair_claim(*, pair: QAPair, acting_user, now=None) -> QAPair:
    """Claim one given pair (the review page of a pair opened by its link, or `k` back to it);
    TransitionRefused when it is decided or another reviewer holds it."""
    require_permission(acting_user, REVIEW_PERMISSION, doing=REVIEWING)
    tenant_require_visible(acting_user=acting_user, key=pair.tenant_id)
    now = now or timezone.now()
    if _take(pair.pk, acting_user, now):
        QAPair.objects.filter(claimed_by=acting_user).exclude(pk=pair.pk).update(claimed_by=None, claimed_until=None)
        stored = QAPair.objects.only("claimed_by", "claimed_until").get(pk=pair.pk)
        pair.claimed_by_id, pair.claimed_until = stored.claimed_by_id, stored.claimed_until
        return pair
    _refuse_unclaimable(pair, acting_user=acting_user, now=now)
    return pair


def _refuse_unclaimable(pair: QAPair, *, acting_user, now) -> None:
    stored = QAPair.objects.only("review_status", "claimed_by", "claimed_until").get(pk=pair.pk)
    if stored.review_status != QAPair.ReviewStatus.PENDING:
        raise TransitionRefused(NOT_PENDING.format(pk=pair.pk, status=stored.review_status))
    refuse_claimed_by_other(stored, acting_user=acting_user, now=now)


@transaction.atomic
def qa_pair_skip(*, pair: QAPair, acting_user, now=None) -> None:
    """Put the pair back for others: the reviewer's claim on it ends. The caller remembers the
    skip (the admin in the session, an API client in `exclude` of `next`) so that the reviewer's
    next pair is another one; TransitionRefused for a decided pair or another reviewer's claim."""
    require_permission(acting_user, REVIEW_PERMISSION, doing=REVIEWING)
    tenant_require_visible(acting_user=acting_user, key=pair.tenant_id)
    now = now or timezone.now()
    _refuse_unclaimable(pair, acting_user=acting_user, now=now)
    QAPair.objects.filter(pk=pair.pk, claimed_by=acting_user).update(claimed_by=None, claimed_until=None)
    pair.claimed_by_id, pair.claimed_until = None, None
