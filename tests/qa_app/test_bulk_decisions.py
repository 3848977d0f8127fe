"""Bulk review counts as individual decisions: one ReviewDecision row per pair, the same rules as one by one."""

from qa_app.models import QAPair, ReviewDecision
from qa_app.services import qa_pair_approve, qa_pair_create, qa_pairs_review
from tests.factories import QAPairFactory, RejectReasonFactory, TwoReviewerPairFactory


def test_bulk_review_writes_one_decision_row_per_decided_pair(reviewer):
    pairs = QAPairFactory.create_batch(5)

    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer, reason="batch checked")

    rows = ReviewDecision.objects.filter(pair__in=pairs)
    assert sorted(rows.values_list("pair_id", flat=True)) == sorted(pair.pk for pair in pairs)
    assert set(rows.values_list("reviewer", "decision", "reason", "round", "is_adjudication")) == {
        (reviewer.pk, "approve", "batch checked", 1, False)
    }


def test_bulk_review_writes_no_decision_row_for_skipped_pairs(reviewer):
    decided = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)

    result = qa_pairs_review(pairs=[decided], approve=False, acting_user=reviewer, reason="no")

    assert (result.decided, result.skipped) == (0, 1)
    assert not ReviewDecision.objects.exists()


def test_bulk_review_only_records_the_first_of_two_decisions(reviewer):
    pairs = TwoReviewerPairFactory.create_batch(3)

    result = qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)

    assert (result.decided, result.recorded, result.escalated) == (0, 3, 0)
    assert set(QAPair.objects.values_list("review_status", flat=True)) == {"pending"}
    assert ReviewDecision.objects.count() == 3


def test_bulk_review_decides_pairs_where_it_agrees_with_the_first_reviewer(reviewer, make_user):
    pairs = TwoReviewerPairFactory.create_batch(2)
    qa_pairs_review(pairs=pairs, approve=False, acting_user=make_user("first", "Reviewers"), reason="wrong")

    result = qa_pairs_review(pairs=pairs, approve=False, acting_user=reviewer, reason="agreed, wrong")

    assert result.decided == 2
    assert set(QAPair.objects.values_list("review_status", flat=True)) == {"rejected"}


def test_bulk_review_sends_pairs_it_disagrees_on_to_adjudication(reviewer, make_user):
    agreed, disputed = TwoReviewerPairFactory.create_batch(2)
    first = make_user("first", "Reviewers")
    qa_pair_approve(pair=agreed, acting_user=first)
    qa_pairs_review(pairs=[disputed], approve=False, acting_user=first, reason="wrong")

    result = qa_pairs_review(pairs=[agreed, disputed], approve=True, acting_user=reviewer)

    assert (result.decided, result.escalated) == (1, 1)
    statuses = dict(QAPair.objects.values_list("pk", "review_status"))
    assert statuses == {agreed.pk: "approved", disputed.pk: "awaiting_adjudication"}


def test_bulk_review_skips_pairs_the_reviewer_already_decided_in_the_round(reviewer):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)

    result = qa_pairs_review(pairs=[pair], approve=True, acting_user=reviewer)

    assert (result.decided, result.recorded, result.skipped) == (0, 0, 1)
    assert ReviewDecision.objects.count() == 1


def test_bulk_review_skips_pairs_the_reviewer_wrote(reviewer):
    own = qa_pair_create(pair=QAPairFactory.build(tenant_id="acme"), acting_user=reviewer)
    other = QAPairFactory()

    result = qa_pairs_review(pairs=[own, other], approve=True, acting_user=reviewer)

    assert (result.decided, result.skipped, result.own_content) == (1, 1, 1)
    own.refresh_from_db()
    assert own.review_status == QAPair.ReviewStatus.PENDING


def test_bulk_reject_with_a_reason_code_records_the_reason_on_every_row(reviewer):
    reason = RejectReasonFactory(code="wrong-answer", label="Wrong answer")
    pairs = QAPairFactory.create_batch(2)

    qa_pairs_review(pairs=pairs, approve=False, acting_user=reviewer, reason_code="wrong-answer")

    assert set(ReviewDecision.objects.values_list("reject_reason", "reason")) == {(reason.pk, "Wrong answer")}
    assert set(QAPair.objects.values_list("review_reason", flat=True)) == {"Wrong answer"}
