"""The review queue and the review page in the admin: claim, act, move on; refusals are messages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.services import qa_pair_approve
from tests.factories import QAPairFactory, RejectReasonFactory, ReviewDecisionFactory, TwoReviewerPairFactory

QUEUE_URL = reverse("admin:qa_app_qapair_review_queue")
NEXT_URL = reverse("admin:qa_app_qapair_review_next")


def review_url(pair, query=""):
    return reverse("admin:qa_app_qapair_review", args=[pair.pk]) + (f"?{query}" if query else "")


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def other_reviewer(make_user):
    return make_user("second-reviewer", "Reviewers")


@pytest.fixture
def pending_pair(db):
    return QAPairFactory(question="What is 2 plus 3?", answer="5")


@pytest.fixture
def approved_pair(db, reviewer):
    return QAPairFactory(answer="8", review_status=QAPair.ReviewStatus.APPROVED, reviewed_by=reviewer)


def claimed_by(pair):
    return QAPair.objects.get(pk=pair.pk).claimed_by


def test_the_queue_lists_pending_pairs(reviewer_client, pending_pair, approved_pair):
    response = reviewer_client.get(QUEUE_URL)

    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [pending_pair.pk]


def test_the_queue_applies_its_filters(reviewer_client, db):
    QAPairFactory(tenant_id="acme")
    globex = QAPairFactory(tenant_id="globex")

    response = reviewer_client.get(QUEUE_URL, {"tenant_id": "globex"})

    assert [row.pk for row in response.context["rows"]] == [globex.pk]


def test_the_queue_leaves_out_pairs_other_reviewers_hold(reviewer_client, pending_pair, other_reviewer):
    QAPair.objects.filter(pk=pending_pair.pk).update(
        claimed_by=other_reviewer, claimed_until=timezone.now() + timedelta(minutes=5)
    )

    assert reviewer_client.get(QUEUE_URL).context["rows"] == []


def test_the_queue_is_linked_from_the_admin_index(reviewer_client):
    assert QUEUE_URL in reviewer_client.get(reverse("admin:index")).content.decode()


def test_the_queue_is_linked_from_the_qa_pair_list(reviewer_client):
    assert QUEUE_URL in reviewer_client.get(reverse("admin:qa_app_qapair_changelist")).content.decode()


def test_start_reviewing_claims_the_first_pair_and_opens_it(reviewer_client, reviewer, pending_pair):
    response = reviewer_client.post(NEXT_URL)

    assert response.status_code == 302
    assert response.url == review_url(pending_pair)
    assert claimed_by(pending_pair) == reviewer


def test_start_reviewing_carries_the_filters_to_the_review_page(reviewer_client, db):
    QAPairFactory(tenant_id="acme")
    globex = QAPairFactory(tenant_id="globex")

    response = reviewer_client.post(f"{NEXT_URL}?tenant_id=globex&order=quality")

    assert response.url == review_url(globex, "tenant_id=globex&order=quality")


def test_start_reviewing_an_empty_queue_says_so(reviewer_client, db):
    response = reviewer_client.post(NEXT_URL, follow=True)

    assert messages_of(response) == ["No more pairs to review in this queue."]


def test_start_reviewing_without_the_review_permission_is_a_message(client, curator, pending_pair):
    client.force_login(curator)

    response = client.post(NEXT_URL, follow=True)

    assert response.status_code == 200
    assert any("review_qapair" in message for message in messages_of(response))
    assert claimed_by(pending_pair) is None


def test_the_review_page_shows_the_text_rendered_and_raw(reviewer_client, db):
    pair = QAPairFactory(answer="Use `sum()`:\n\n```python\nsum([2, 3])\n```\n<script>alert(1)</script>")

    content = reviewer_client.get(review_url(pair)).content.decode()

    assert '<pre><code class="language-python">sum([2, 3])' in content
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_the_review_page_shows_the_lineage(reviewer_client, db):
    pair = QAPairFactory(lineage={"generator": "template", "seed": 7, "variables": {"a": 2, "b": 3}})

    content = reviewer_client.get(review_url(pair)).content.decode()

    assert "generator" in content
    assert "<code>a</code>" in content


def test_the_review_page_claims_the_pair(reviewer_client, reviewer, pending_pair):
    reviewer_client.get(review_url(pending_pair))

    assert claimed_by(pending_pair) == reviewer


def test_approve_on_the_review_page_approves_and_opens_the_next_pair(reviewer_client, pending_pair):
    following = QAPairFactory()

    response = reviewer_client.post(review_url(pending_pair), {"action": "approve"})

    assert QAPair.objects.get(pk=pending_pair.pk).review_status == QAPair.ReviewStatus.APPROVED
    assert response.url == review_url(following)


def test_reject_on_the_review_page_needs_a_reason(reviewer_client, pending_pair):
    response = reviewer_client.post(review_url(pending_pair), {"action": "reject", "reason": ""})

    assert response.status_code == 200
    assert messages_of(response) == ["A rejection needs a reason the author can act on."]
    assert QAPair.objects.get(pk=pending_pair.pk).review_status == QAPair.ReviewStatus.PENDING


def test_reject_on_the_review_page_stores_the_reason(reviewer_client, pending_pair):
    reviewer_client.post(review_url(pending_pair), {"action": "reject", "reason": "wrong sum"})

    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.review_status, stored.review_reason) == (QAPair.ReviewStatus.REJECTED, "wrong sum")


def test_reject_on_the_review_page_takes_a_listed_reason(reviewer_client, pending_pair):
    listed = RejectReasonFactory(code="wrong-answer", label="The answer is wrong")

    page = reviewer_client.get(review_url(pending_pair)).content.decode()
    reviewer_client.post(review_url(pending_pair), {"action": "reject", "reason": "", "reason_code": listed.code})

    assert '<option value="wrong-answer">The answer is wrong</option>' in page
    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.review_status, stored.review_reason) == (QAPair.ReviewStatus.REJECTED, "The answer is wrong")


def test_the_first_of_two_decisions_on_the_review_page_is_reported_as_recorded(reviewer_client):
    pair = TwoReviewerPairFactory()

    response = reviewer_client.post(review_url(pair), {"action": "approve"}, follow=True)

    assert f"Recorded your decision on #{pair.pk}; it needs a second reviewer's before it is decided." in (
        messages_of(response)
    )
    assert QAPair.objects.get(pk=pair.pk).review_status == QAPair.ReviewStatus.PENDING


def test_the_review_page_lists_the_reviewers_own_decision_and_hides_the_others(
    reviewer_client, reviewer, other_reviewer
):
    pair = TwoReviewerPairFactory()
    ReviewDecisionFactory(pair=pair, reviewer=other_reviewer, reason="looks fine to me")

    page = reviewer_client.get(review_url(pair)).content.decode()

    assert "looks fine to me" not in page
    assert "1 decision(s) of other reviewers in this open round are hidden" in page


def test_edit_on_the_review_page_approves_the_edited_text_and_reports_the_flags(reviewer_client, pending_pair):
    response = reviewer_client.post(
        review_url(pending_pair),
        {"action": "edit", "question": pending_pair.question, "answer": "Mail a@example.com", "context": ""},
        follow=True,
    )

    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.answer, stored.review_status) == ("Mail a@example.com", QAPair.ReviewStatus.APPROVED)
    assert any("new flags: pii_email" in message for message in messages_of(response))


def test_skip_on_the_review_page_moves_on_and_does_not_hand_the_pair_back(reviewer_client, pending_pair):
    following = QAPairFactory()

    response = reviewer_client.post(review_url(pending_pair), {"action": "skip"})
    again = reviewer_client.post(NEXT_URL)

    assert response.url == review_url(following)
    assert again.url == review_url(following)
    assert claimed_by(pending_pair) is None


def test_a_pair_another_reviewer_holds_is_shown_without_actions_and_a_message(
    reviewer_client, pending_pair, other_reviewer
):
    QAPair.objects.filter(pk=pending_pair.pk).update(
        claimed_by=other_reviewer, claimed_until=timezone.now() + timedelta(minutes=5)
    )

    response = reviewer_client.get(review_url(pending_pair))

    assert response.status_code == 200
    assert not response.context["can_act"]
    assert any("being reviewed by second-reviewer" in message for message in messages_of(response))


def test_approving_a_pair_decided_meanwhile_is_a_message_on_the_page(reviewer_client, pending_pair, reviewer):
    QAPair.objects.filter(pk=pending_pair.pk).update(review_status=QAPair.ReviewStatus.REJECTED)

    response = reviewer_client.post(review_url(pending_pair), {"action": "approve"})

    assert response.status_code == 200
    assert any("is rejected" in message for message in messages_of(response))


def test_the_review_page_without_the_review_permission_is_a_message(client, curator, pending_pair):
    client.force_login(curator)

    response = client.get(review_url(pending_pair))

    assert response.status_code == 200
    assert not response.context["can_act"]
    assert any("review_qapair" in message for message in messages_of(response))


def test_the_queue_page_runs_a_fixed_number_of_queries(reviewer_client, django_assert_max_num_queries, db):
    for _ in range(30):
        QAPairFactory()

    # Session, user, permissions (2), the reviewer's tenant keys, the page of pairs, remaining (on
    # PostgreSQL an EXPLAIN first), decided today.
    with django_assert_max_num_queries(9):
        reviewer_client.get(QUEUE_URL)


def test_the_review_page_runs_a_fixed_number_of_queries(reviewer_client, django_assert_max_num_queries, db):
    pair = QAPairFactory(flags=[{"code": "near_duplicate", "of": 1, "similarity": 0.9}])
    for _ in range(5):
        QAPairFactory()

    # Session, user, pair, permissions (2), the reviewer's tenant keys, claim (savepoint, 3,
    # release), pair with its lineage, remaining (on PostgreSQL an EXPLAIN first), earlier
    # decisions, listed reject reasons, decided today, session save.
    with django_assert_max_num_queries(20):
        reviewer_client.get(review_url(pair))


def test_a_queue_filtered_to_nothing_shows_no_pairs(reviewer_client, pending_pair):
    response = reviewer_client.get(QUEUE_URL, {"quality_score_min": "0.9", "quality_score_max": "0.1"})

    assert response.status_code == 200
    assert list(response.context["rows"]) == []
    assert response.context["remaining"] == 0


def _decided_by_another_reviewer_after_the_claim_expired(pair, reviewer, other_reviewer):
    QAPair.objects.filter(pk=pair.pk).update(claimed_by=reviewer, claimed_until=timezone.now() - timedelta(seconds=1))
    qa_pair_approve(pair=QAPair.objects.get(pk=pair.pk), acting_user=other_reviewer)


def test_edits_of_a_pair_another_reviewer_decided_meanwhile_are_shown_to_copy(
    reviewer_client, reviewer, pending_pair, other_reviewer
):
    _decided_by_another_reviewer_after_the_claim_expired(pending_pair, reviewer, other_reviewer)
    edits = {"action": "edit", "question": "What is 2 + 3, typed?", "answer": "5, typed.", "context": ""}

    response = reviewer_client.post(review_url(pending_pair), {**edits, "reason": "fixed the sum"})

    assert response.status_code == 200
    assert not response.context["can_act"]
    assert response.context["unsaved"] == [
        ("Question", edits["question"]),
        ("Answer", edits["answer"]),
        ("Context", ""),
        ("Note", "fixed the sum"),
    ]
    assert 'id="unsaved"' in response.content.decode()
    assert QAPair.objects.get(pk=pending_pair.pk).answer == "5"


def test_a_rejection_reason_for_a_pair_another_reviewer_decided_meanwhile_is_shown_to_copy(
    reviewer_client, reviewer, pending_pair, other_reviewer
):
    _decided_by_another_reviewer_after_the_claim_expired(pending_pair, reviewer, other_reviewer)

    response = reviewer_client.post(review_url(pending_pair), {"action": "reject", "reason": "The sum is wrong."})

    assert response.context["unsaved"] == [("Reason", "The sum is wrong.")]


def test_a_refused_edit_comes_back_open_with_its_text_and_note(reviewer_client, pending_pair):
    holder = QAPairFactory(question="What is 4 plus 4?", answer="8")

    response = reviewer_client.post(
        review_url(pending_pair),
        {"action": "edit", "question": holder.question, "answer": holder.answer, "context": "", "reason": "my note"},
    )

    page = response.content.decode()
    assert response.context["can_act"]
    assert '<details id="edit-panel" open>' in page
    assert response.context["edit_form"]["question"].value() == holder.question
    assert 'value="my note"' in page
    assert response.context["unsaved"] == []


def test_a_refused_rejection_comes_back_with_its_reason_and_listed_reason(reviewer_client, pending_pair):
    listed = RejectReasonFactory(code="off-topic", label="Off topic")

    response = reviewer_client.post(
        review_url(pending_pair), {"action": "reject", "reason": "x" * 2001, "reason_code": listed.code}
    )

    page = response.content.decode()
    assert response.context["can_act"]
    assert f'value="{"x" * 2001}"' in page
    assert '<option value="off-topic" selected>' in page
