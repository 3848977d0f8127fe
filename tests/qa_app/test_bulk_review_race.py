"""Bulk review under a race: pairs decided by someone else meanwhile are skipped, the rest decided; never a 409."""

import pytest
from django.db.models import Count

from qa_app.models import QAPair
from qa_app.services import BulkReviewResult, qa_pair_approve, qa_pairs_review
from tests.concurrency import run_concurrently
from tests.factories import QAPairFactory


def test_a_pair_decided_after_the_caller_loaded_it_is_skipped_and_the_others_decided(db, reviewer):
    pairs = QAPairFactory.create_batch(4)
    # Another reviewer decides one of them after this request loaded it (still pending here).
    qa_pair_approve(pair=QAPair.objects.get(pk=pairs[1].pk), acting_user=reviewer)

    result = qa_pairs_review(pairs=pairs, approve=False, acting_user=reviewer, reason="off topic")

    assert result == BulkReviewResult(decided=3, skipped=1)
    assert QAPair.objects.get(pk=pairs[1].pk).review_status == QAPair.ReviewStatus.APPROVED
    assert QAPair.objects.filter(review_status=QAPair.ReviewStatus.REJECTED).count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_bulk_reviews_decide_every_pair_once(reviewer, make_user):
    second_reviewer = make_user("second-reviewer", "Reviewers")
    pairs = QAPairFactory.create_batch(60)
    ids = [pair.pk for pair in pairs]
    first_half, second_half = ids[:40], ids[20:]

    results = run_concurrently(
        lambda: qa_pairs_review(pairs=QAPair.objects.filter(pk__in=first_half), approve=True, acting_user=reviewer),
        lambda: qa_pairs_review(
            pairs=QAPair.objects.filter(pk__in=second_half), approve=False, acting_user=second_reviewer, reason="no"
        ),
    )

    assert all(isinstance(result, BulkReviewResult) for result in results), results
    assert sum(result.decided for result in results) == 60
    assert sum(result.skipped for result in results) == 20
    assert not QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING).exists()
    decisions = QAPair.history.model.objects.exclude(history_change_reason=None).values("id").annotate(n=Count("pk"))
    assert {row["n"] for row in decisions} == {1}
