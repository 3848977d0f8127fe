"""Claims: the next pair of a queue is kept for its reviewer, released on decision or skip, and expires."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.selectors import decisions_today
from qa_app.services import (
    qa_pair_approve,
    qa_pair_claim,
    qa_pair_claim_next,
    qa_pair_reject,
    qa_pair_skip,
    qa_pairs_review,
)
from synthgov.errors import PermissionRefused, TransitionRefused
from tests.factories import QAPairFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_reviewer(make_user):
    return make_user("second-reviewer", "Reviewers")


def _claim(pair, user, *, seconds=300):
    QAPair.objects.filter(pk=pair.pk).update(claimed_by=user, claimed_until=timezone.now() + timedelta(seconds=seconds))


def test_next_claims_the_oldest_pending_pair_for_the_reviewer(reviewer):
    first, _second = QAPairFactory(), QAPairFactory()

    claimed = qa_pair_claim_next(acting_user=reviewer)

    assert claimed.pk == first.pk
    stored = QAPair.objects.get(pk=first.pk)
    assert stored.claimed_by == reviewer
    assert stored.claimed_until > timezone.now()


def test_next_claims_for_the_configured_number_of_seconds(reviewer, settings):
    settings.SYNTHGOV_REVIEW_CLAIM_SECONDS = 60
    QAPairFactory()
    before = timezone.now()

    claimed = qa_pair_claim_next(acting_user=reviewer)

    assert timedelta(seconds=59) < claimed.claimed_until - before < timedelta(seconds=61)


def test_next_hands_a_second_reviewer_another_pair(reviewer, second_reviewer):
    QAPairFactory(), QAPairFactory()

    one = qa_pair_claim_next(acting_user=reviewer)
    two = qa_pair_claim_next(acting_user=second_reviewer)

    assert one.pk != two.pk


def test_next_hands_out_a_pair_whose_claim_expired(reviewer, second_reviewer):
    pair = QAPairFactory()
    QAPair.objects.filter(pk=pair.pk).update(claimed_by=reviewer, claimed_until=timezone.now() - timedelta(seconds=1))

    assert qa_pair_claim_next(acting_user=second_reviewer).pk == pair.pk


def test_next_is_none_when_every_pending_pair_is_claimed_by_others(reviewer, second_reviewer):
    _claim(QAPairFactory(), second_reviewer)

    assert qa_pair_claim_next(acting_user=reviewer) is None


def test_next_leaves_out_decided_pairs(reviewer, approved_pair):
    assert qa_pair_claim_next(acting_user=reviewer) is None


def test_next_releases_the_reviewers_earlier_claim(reviewer):
    first, second = QAPairFactory(), QAPairFactory()
    qa_pair_claim_next(acting_user=reviewer)

    qa_pair_claim_next(acting_user=reviewer, exclude=[first.pk])

    assert QAPair.objects.get(pk=first.pk).claimed_by is None
    assert QAPair.objects.get(pk=second.pk).claimed_by == reviewer


def test_next_leaves_out_the_excluded_pairs(reviewer):
    first, second = QAPairFactory(), QAPairFactory()

    assert qa_pair_claim_next(acting_user=reviewer, exclude=[first.pk]).pk == second.pk


def test_next_applies_the_queue_filters(reviewer):
    QAPairFactory(tenant_id="acme")
    other = QAPairFactory(tenant_id="globex")

    assert qa_pair_claim_next(acting_user=reviewer, filters={"tenant_id": "globex"}).pk == other.pk


def test_next_in_lowest_quality_order_takes_the_lowest_score(reviewer):
    QAPairFactory(quality_score=0.9)
    low = QAPairFactory(quality_score=0.2)

    assert qa_pair_claim_next(acting_user=reviewer, filters={"order": "quality"}).pk == low.pk


def test_next_in_flagged_first_order_takes_a_flagged_pair(reviewer):
    QAPairFactory()
    flagged = QAPairFactory()
    QAPair.objects.filter(pk=flagged.pk).update(flags=[{"code": "pii_email", "field": "answer"}])

    assert qa_pair_claim_next(acting_user=reviewer, filters={"order": "flagged"}).pk == flagged.pk


def test_next_is_refused_without_the_review_permission(nobody):
    QAPairFactory()

    with pytest.raises(PermissionRefused):
        qa_pair_claim_next(acting_user=nobody)


def test_claiming_a_pair_another_reviewer_holds_is_refused(reviewer, second_reviewer, pending_pair):
    _claim(pending_pair, second_reviewer)

    with pytest.raises(TransitionRefused, match="second-reviewer"):
        qa_pair_claim(pair=pending_pair, acting_user=reviewer)


def test_claiming_a_decided_pair_is_refused(reviewer, approved_pair):
    with pytest.raises(TransitionRefused, match="approved"):
        qa_pair_claim(pair=approved_pair, acting_user=reviewer)


def test_approving_a_pair_another_reviewer_holds_is_refused(reviewer, second_reviewer, pending_pair, stored_pair):
    _claim(pending_pair, second_reviewer)
    before = stored_pair(pending_pair)

    with pytest.raises(TransitionRefused, match="being reviewed by second-reviewer"):
        qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    assert stored_pair(pending_pair) == before


def test_a_decision_releases_the_claim(reviewer, pending_pair):
    qa_pair_claim(pair=pending_pair, acting_user=reviewer)

    qa_pair_reject(pair=pending_pair, acting_user=reviewer, reason="wrong")

    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.claimed_by, stored.claimed_until) == (None, None)


def test_deciding_a_pair_whose_claim_expired_is_allowed(reviewer, second_reviewer, pending_pair):
    _claim(pending_pair, second_reviewer, seconds=-1)

    qa_pair_approve(pair=pending_pair, acting_user=reviewer)

    assert QAPair.objects.get(pk=pending_pair.pk).review_status == QAPair.ReviewStatus.APPROVED


def test_a_claim_writes_no_history_row(reviewer, pending_pair):
    qa_pair_claim_next(acting_user=reviewer)

    assert pending_pair.history.count() == 1


def test_skip_releases_the_claim(reviewer, pending_pair):
    qa_pair_claim(pair=pending_pair, acting_user=reviewer)

    qa_pair_skip(pair=pending_pair, acting_user=reviewer)

    assert QAPair.objects.get(pk=pending_pair.pk).claimed_by is None


def test_skip_of_a_pair_another_reviewer_holds_is_refused(reviewer, second_reviewer, pending_pair):
    _claim(pending_pair, second_reviewer)

    with pytest.raises(TransitionRefused):
        qa_pair_skip(pair=pending_pair, acting_user=reviewer)

    assert QAPair.objects.get(pk=pending_pair.pk).claimed_by == second_reviewer


def test_skip_of_a_decided_pair_is_refused(reviewer, approved_pair):
    with pytest.raises(TransitionRefused):
        qa_pair_skip(pair=approved_pair, acting_user=reviewer)


def test_skip_is_refused_without_the_review_permission(nobody, pending_pair):
    with pytest.raises(PermissionRefused):
        qa_pair_skip(pair=pending_pair, acting_user=nobody)


def test_bulk_review_skips_pairs_claimed_by_another_reviewer(reviewer, second_reviewer):
    free, claimed = QAPairFactory(), QAPairFactory()
    _claim(claimed, second_reviewer)

    result = qa_pairs_review(pairs=QAPair.objects.all(), approve=True, acting_user=reviewer)

    assert (result.decided, result.skipped) == (1, 1)
    assert QAPair.objects.get(pk=free.pk).review_status == QAPair.ReviewStatus.APPROVED
    assert QAPair.objects.get(pk=claimed.pk).review_status == QAPair.ReviewStatus.PENDING


def test_bulk_review_decides_pairs_the_reviewer_claimed_and_releases_them(reviewer):
    pair = QAPairFactory()
    _claim(pair, reviewer)

    result = qa_pairs_review(pairs=QAPair.objects.all(), approve=True, acting_user=reviewer)

    assert result.decided == 1
    assert QAPair.objects.get(pk=pair.pk).claimed_by is None


def test_decided_today_counts_the_reviewers_decisions_up_to_the_cap(reviewer):
    for _ in range(3):
        qa_pair_approve(pair=QAPairFactory(), acting_user=reviewer)

    assert decisions_today(user=reviewer) == 3
    assert decisions_today(user=reviewer, cap=2) == 2
