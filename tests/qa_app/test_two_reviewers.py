"""Decisions needed 2: two different reviewers decide blind; agreement decides, disagreement goes to adjudication."""

import pytest
from django.contrib.auth.models import Group

from qa_app.models import QAPair, ReviewDecision
from qa_app.selectors import decisions_visible_to
from qa_app.services import (
    ADJUDICATE_PERMISSION_MISSING,
    REJECTION_NEEDS_REASON,
    qa_pair_adjudicate,
    qa_pair_approve,
    qa_pair_edit,
    qa_pair_reject,
    qa_pair_reopen,
)
from qa_app.services.decisions import ADJUDICATOR_DECIDED_IN_ROUND, AWAITING_ADJUDICATION, NOT_AWAITING_ADJUDICATION
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from tests.factories import TwoReviewerPairFactory


@pytest.fixture
def first(make_user):
    return make_user("first-reviewer", "Reviewers")


@pytest.fixture
def pair(db):
    return TwoReviewerPairFactory()


@pytest.fixture
def disputed(pair, first, second):
    """A pair the two reviewers disagreed on: awaiting adjudication."""
    qa_pair_approve(pair=pair, acting_user=first, reason="looks right")
    qa_pair_reject(pair=pair, acting_user=second, reason="the sum is wrong")
    pair.refresh_from_db()
    return pair


def test_the_first_of_two_decisions_leaves_the_pair_pending(pair, first):
    qa_pair_approve(pair=pair, acting_user=first)

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.PENDING
    assert ReviewDecision.objects.filter(pair=pair).count() == 1


def test_the_first_of_two_decisions_shows_nowhere_on_the_pair_or_its_history(pair, first, stored_pair):
    before, history_rows = stored_pair(pair), pair.history.count()

    qa_pair_reject(pair=pair, acting_user=first, reason="wrong")

    assert stored_pair(pair) == before
    assert pair.history.count() == history_rows


def test_the_second_reviewer_cannot_see_the_first_decision_before_deciding(pair, first, second):
    qa_pair_approve(pair=pair, acting_user=first)

    visible, hidden = decisions_visible_to(pair, second)

    assert (visible, hidden) == ([], 1)


def test_a_reviewer_sees_their_own_decision_of_the_open_round(pair, first):
    qa_pair_approve(pair=pair, acting_user=first)

    visible, hidden = decisions_visible_to(pair, first)

    assert [decision.reviewer for decision in visible] == [first]
    assert hidden == 0


def test_two_agreeing_decisions_approve_the_pair(pair, first, second):
    qa_pair_approve(pair=pair, acting_user=first)
    qa_pair_approve(pair=pair, acting_user=second, reason="fine")

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.APPROVED
    assert (pair.reviewed_by, pair.review_reason) == (second, "fine")


def test_two_agreeing_rejections_reject_the_pair(pair, first, second):
    qa_pair_reject(pair=pair, acting_user=first, reason="wrong")
    qa_pair_reject(pair=pair, acting_user=second, reason="also wrong")

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.REJECTED


def test_disagreeing_decisions_send_the_pair_to_adjudication(disputed):
    assert disputed.review_status == QAPair.ReviewStatus.AWAITING_ADJUDICATION
    assert disputed.history.first().history_change_reason.startswith("escalated")


def test_once_the_round_is_over_both_reviewers_see_both_decisions(disputed, first):
    visible, hidden = decisions_visible_to(disputed, first)

    assert [decision.reason for decision in visible] == ["looks right", "the sum is wrong"]
    assert hidden == 0


def test_a_reviewer_cannot_decide_a_pair_awaiting_adjudication(disputed, make_user):
    with pytest.raises(TransitionRefused) as excinfo:
        qa_pair_approve(pair=disputed, acting_user=make_user("third", "Reviewers"))

    assert excinfo.value.message == AWAITING_ADJUDICATION.format(pk=disputed.pk)


def test_the_adjudicator_decides_finally_and_the_decision_is_its_own_row(disputed, adjudicator):
    qa_pair_adjudicate(pair=disputed, approve=False, acting_user=adjudicator, reason="the second reviewer is right")

    disputed.refresh_from_db()
    assert disputed.review_status == QAPair.ReviewStatus.REJECTED
    assert disputed.reviewed_by == adjudicator
    final = ReviewDecision.objects.get(pair=disputed, is_adjudication=True)
    assert (final.reviewer, final.decision, final.reason) == (adjudicator, "reject", "the second reviewer is right")
    assert ReviewDecision.objects.filter(pair=disputed).count() == 3


def test_adjudication_writes_a_history_row_naming_it(disputed, adjudicator):
    qa_pair_adjudicate(pair=disputed, approve=True, acting_user=adjudicator)

    latest = disputed.history.first()
    assert latest.history_change_reason == "adjudicated: approved"
    assert latest.history_user == adjudicator


def test_adjudication_needs_the_adjudicate_permission(disputed, make_user, stored_pair):
    before = stored_pair(disputed)

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_adjudicate(pair=disputed, approve=True, acting_user=make_user("third", "Reviewers"))

    assert excinfo.value.message == ADJUDICATE_PERMISSION_MISSING
    assert stored_pair(disputed) == before


def test_a_reviewer_of_the_disputed_round_cannot_adjudicate_it(disputed, first):
    first.groups.add(Group.objects.get(name="Adjudicators"))
    first = type(first).objects.get(pk=first.pk)  # permissions are cached per user object

    with pytest.raises(PermissionRefused) as excinfo:
        qa_pair_adjudicate(pair=disputed, approve=True, acting_user=first)

    assert excinfo.value.message == ADJUDICATOR_DECIDED_IN_ROUND.format(pk=disputed.pk)


def test_only_a_pair_awaiting_adjudication_can_be_adjudicated(pair, adjudicator):
    with pytest.raises(TransitionRefused) as excinfo:
        qa_pair_adjudicate(pair=pair, approve=True, acting_user=adjudicator)

    assert excinfo.value.message == NOT_AWAITING_ADJUDICATION.format(pk=pair.pk, status="pending")


def test_an_adjudicated_rejection_needs_a_reason(disputed, adjudicator):
    with pytest.raises(InvalidInput) as excinfo:
        qa_pair_adjudicate(pair=disputed, approve=False, acting_user=adjudicator, reason=" ")

    assert excinfo.value.message == REJECTION_NEEDS_REASON


def test_reopening_a_pair_awaiting_adjudication_starts_a_new_round(disputed, first, second):
    qa_pair_reopen(pair=disputed, acting_user=first, reason="the question was unclear")

    disputed.refresh_from_db()
    assert (disputed.review_status, disputed.review_round) == (QAPair.ReviewStatus.PENDING, 2)
    qa_pair_approve(pair=disputed, acting_user=first)
    qa_pair_approve(pair=disputed, acting_user=second)
    disputed.refresh_from_db()
    assert disputed.review_status == QAPair.ReviewStatus.APPROVED


def test_editing_a_pair_awaiting_adjudication_sends_it_back_to_review(disputed, make_user):
    qa_pair_edit(pair=disputed, acting_user=make_user("editor", "Reviewers"), answer="fixed")

    disputed.refresh_from_db()
    assert (disputed.review_status, disputed.review_round) == (QAPair.ReviewStatus.PENDING, 2)
