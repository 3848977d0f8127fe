"""Review decisions in the admin: reject reasons, reopen with a reason, blind decisions, adjudication, dashboard."""

import pytest
from django.urls import reverse

from qa_app.models import QAPair, ReviewDecision
from qa_app.selectors import review_dashboard
from qa_app.services import qa_pair_approve, qa_pair_claim_next, qa_pair_reject
from tests.factories import (
    QAPairFactory,
    RejectReasonFactory,
    ReviewDecisionFactory,
    TemplateVersionFactory,
    TwoReviewerPairFactory,
)

# ... and one for the user's tenant keys (tenants_app.scoping, once per request).
INDEX_QUERIES = 9


def action_url(obj, name, model_name="qapair"):
    return reverse(f"admin:qa_app_{model_name}_object_action", args=[obj.pk, name])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def disputed(db, reviewer, second):
    pair = TwoReviewerPairFactory(question="What is 3 plus 3?", answer="6")
    qa_pair_approve(pair=pair, acting_user=reviewer, reason="correct")
    qa_pair_reject(pair=pair, acting_user=second, reason="too easy")
    return pair


def test_the_reject_form_offers_the_active_reject_reasons(client, reviewer):
    RejectReasonFactory(code="wrong-answer", label="Wrong answer")
    RejectReasonFactory(code="retired", label="Retired reason", active=False)
    client.force_login(reviewer)

    response = client.post(action_url(QAPairFactory(), "reject"))

    page = response.content.decode()
    assert "Wrong answer" in page
    assert "Retired reason" not in page


def test_the_reject_form_rejects_with_a_chosen_reason(client, reviewer):
    reason = RejectReasonFactory(code="wrong-answer", label="Wrong answer")
    pair = QAPairFactory()
    client.force_login(reviewer)

    client.post(action_url(pair, "reject"), {"apply": "1", "reason_choice": reason.pk, "reason": ""})

    pair.refresh_from_db()
    assert (pair.review_status, pair.review_reason) == (QAPair.ReviewStatus.REJECTED, "Wrong answer")


def test_the_reopen_button_asks_for_a_reason_first(client, reviewer):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    client.force_login(reviewer)

    response = client.post(action_url(pair, "reopen"), {"apply": "1", "reason": ""})

    pair.refresh_from_db()
    assert pair.review_status == QAPair.ReviewStatus.APPROVED
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_reopen_button_with_a_reason_reopens_the_pair(client, reviewer):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    client.force_login(reviewer)

    client.post(action_url(pair, "reopen"), {"apply": "1", "reason": "check the sum"})

    pair.refresh_from_db()
    assert (pair.review_status, pair.review_reason) == (QAPair.ReviewStatus.PENDING, "check the sum")


def test_the_change_page_hides_another_reviewers_decision_of_the_open_round(client, reviewer, second):
    pair = TwoReviewerPairFactory()
    qa_pair_reject(pair=pair, acting_user=reviewer, reason="secret reason")
    client.force_login(second)

    page = client.get(reverse("admin:qa_app_qapair_change", args=[pair.pk])).content.decode()

    assert "secret reason" not in page
    assert "hidden until it is over (blind review)" in page


def test_the_change_page_offers_no_decision_on_a_pair_one_wrote(client, reviewer):
    pair = QAPairFactory(created_by=reviewer)
    client.force_login(reviewer)

    page = client.get(reverse("admin:qa_app_qapair_change", args=[pair.pk])).content.decode()

    assert action_url(pair, "approve") not in page


def test_the_adjudication_queue_lists_both_decisions_and_reasons(client, adjudicator, disputed):
    client.force_login(adjudicator)

    page = client.get(reverse("admin:qa_app_qapairawaitingadjudication_changelist")).content.decode()

    assert "What is 3 plus 3?" in page
    assert "correct" in page
    assert "too easy" in page


def test_the_adjudication_queue_is_not_shown_to_reviewers(client, reviewer, disputed):
    client.force_login(reviewer)

    response = client.get(reverse("admin:qa_app_qapairawaitingadjudication_changelist"))

    assert response.status_code == 403


def test_the_adjudicator_rejects_from_the_queue_with_a_reason(client, adjudicator, disputed):
    client.force_login(adjudicator)

    client.post(
        action_url(disputed, "adjudicate_reject", "qapairawaitingadjudication"),
        {"apply": "1", "reason": "too easy indeed"},
    )

    disputed.refresh_from_db()
    assert disputed.review_status == QAPair.ReviewStatus.REJECTED
    assert ReviewDecision.objects.get(pair=disputed, is_adjudication=True).reason == "too easy indeed"


def test_the_adjudicator_approves_from_the_queue(client, adjudicator, disputed):
    client.force_login(adjudicator)

    response = client.post(action_url(disputed, "adjudicate_approve", "qapairawaitingadjudication"), follow=True)

    disputed.refresh_from_db()
    assert disputed.review_status == QAPair.ReviewStatus.APPROVED
    assert f"Approved #{disputed.pk} (adjudication, final)." in messages_of(response)


def test_the_agreement_page_shows_kappa(client, reviewer, second):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)
    qa_pair_approve(pair=pair, acting_user=second)
    client.force_login(reviewer)

    response = client.get(reverse("admin:qa_app_qapair_agreement"))

    assert response.status_code == 200
    assert "reviewer &amp; second-reviewer" in response.content.decode()


def test_the_index_dashboard_counts_pending_and_awaiting_adjudication(client, reviewer, disputed):
    QAPairFactory.create_batch(2)
    client.force_login(reviewer)

    page = client.get(reverse("admin:index")).content.decode()

    assert '<td class="pending-count">2</td>' in page
    assert '<td class="awaiting-count">1</td>' in page


def test_the_index_dashboard_counts_each_reviewers_decisions_of_the_last_seven_days(client, reviewer, disputed):
    client.force_login(reviewer)

    response = client.get(reverse("admin:index"))

    assert ("second-reviewer", 1, 0, 1) in response.context["figures"].per_reviewer


def test_the_index_dashboard_highlights_a_mostly_rejected_version(client, reviewer):
    good, bad = TemplateVersionFactory(), TemplateVersionFactory()
    QAPairFactory.create_batch(3, template_version=good, review_status=QAPair.ReviewStatus.APPROVED)
    QAPairFactory.create_batch(3, template_version=bad, review_status=QAPair.ReviewStatus.REJECTED)
    QAPairFactory(template_version=bad, review_status=QAPair.ReviewStatus.APPROVED)
    client.force_login(reviewer)

    rows = {row[0]: row for row in client.get(reverse("admin:index")).context["figures"].per_version}

    assert rows[good.pk][4:] == (100.0, False)
    assert rows[bad.pk][4:] == (25.0, True)


def test_the_index_dashboard_counts_the_pairs_claimed_now(client, reviewer):
    QAPairFactory.create_batch(3)
    qa_pair_claim_next(acting_user=reviewer, filters={})
    client.force_login(reviewer)

    response = client.get(reverse("admin:index"))

    assert response.context["figures"].claimed == 1
    assert '<td class="claimed-count">1</td>' in response.content.decode()


def test_the_index_dashboard_is_not_shown_without_the_view_permission(client, author):
    client.force_login(author)

    assert "review-dashboard" not in client.get(reverse("admin:index")).content.decode()


def test_the_index_dashboard_costs_three_queries_whatever_the_data(reviewer, disputed, django_assert_num_queries):
    with django_assert_num_queries(3):
        review_dashboard()
    QAPairFactory.create_batch(5, template_version=TemplateVersionFactory(), review_status="approved")
    ReviewDecisionFactory.create_batch(3)

    with django_assert_num_queries(3):
        review_dashboard()


def test_the_admin_index_query_count_is_pinned(client, reviewer, disputed, django_assert_num_queries):
    client.force_login(reviewer)
    QAPairFactory.create_batch(5, template_version=TemplateVersionFactory(), review_status="approved")

    # session, user, the user's and groups' permissions, recent actions, and the dashboard's three aggregates
    with django_assert_num_queries(INDEX_QUERIES):
        client.get(reverse("admin:index"))
