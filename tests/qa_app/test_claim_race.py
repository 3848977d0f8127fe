"""Reviewers asking for the next pair at the same moment are handed different pairs (both databases)."""

import time

import pytest

from qa_app.models import QAPair
from qa_app.services import claims, qa_pair_claim_next
from tests.concurrency import run_concurrently, unexpected_errors
from tests.factories import QAPairFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_claim(monkeypatch):
    """Widen the window between choosing a pair and claiming it, where a second reviewer could
    choose the same pair: without the row lock (PostgreSQL) or the write lock and the conditional
    UPDATE (SQLite), both would claim it."""
    take = claims._take

    def slow_take(*args, **kwargs):
        time.sleep(0.2)
        return take(*args, **kwargs)

    monkeypatch.setattr(claims, "_take", slow_take)


@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_asking_for_next_at_once_get_different_pairs(reviewer, make_user, slow_claim, attempt):
    other = make_user("second-reviewer", "Reviewers")
    QAPairFactory(), QAPairFactory(), QAPairFactory()

    results = run_concurrently(
        lambda: qa_pair_claim_next(acting_user=reviewer), lambda: qa_pair_claim_next(acting_user=other)
    )

    assert all(isinstance(result, QAPair) for result in results), unexpected_errors(results)
    assert results[0].pk != results[1].pk
    holders = dict(QAPair.objects.filter(claimed_by__isnull=False).values_list("pk", "claimed_by"))
    assert holders == {results[0].pk: reviewer.pk, results[1].pk: other.pk}


def test_four_reviewers_on_a_queue_of_two_get_the_two_pairs_and_two_nothing(make_user, slow_claim):
    users = [make_user(f"reviewer-{index}", "Reviewers") for index in range(4)]
    QAPairFactory(), QAPairFactory()

    results = run_concurrently(*[lambda user=user: qa_pair_claim_next(acting_user=user) for user in users])

    handed = [result.pk for result in results if isinstance(result, QAPair)]
    assert not [result for result in results if isinstance(result, BaseException)], unexpected_errors(results)
    assert len(handed) == 2
    assert len(set(handed)) == 2
