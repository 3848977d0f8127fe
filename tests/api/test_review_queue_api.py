"""qa-pairs next, skip and edit-and-approve: the review queue's services over the API, with their errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.services import REVIEW_PERMISSION_MISSING
from tests.factories import QAPairFactory

NEXT = "/api/v1/qa-pairs/next/"


def skip_url(pair):
    return f"/api/v1/qa-pairs/{pair.pk}/skip/"


def edit_url(pair):
    return f"/api/v1/qa-pairs/{pair.pk}/edit-and-approve/"


@pytest.fixture
def pending_pair(db):
    return QAPairFactory(question="What is 2 plus 3?", answer="5")


@pytest.fixture
def other_reviewer(make_user):
    return make_user("second-reviewer", "Reviewers")


def hold(pair, user):
    QAPair.objects.filter(pk=pair.pk).update(claimed_by=user, claimed_until=timezone.now() + timedelta(minutes=5))


def test_next_claims_a_pair_for_the_caller(api, reviewer, pending_pair):
    response = api(reviewer).post(NEXT, {}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == pending_pair.pk
    assert QAPair.objects.get(pk=pending_pair.pk).claimed_by == reviewer


def test_next_takes_the_queue_filters_and_order(api, reviewer, db):
    QAPairFactory(tenant_id="globex", quality_score=0.9)
    low = QAPairFactory(tenant_id="globex", quality_score=0.1)
    QAPairFactory(tenant_id="acme", quality_score=0.0)

    response = api(reviewer).post(NEXT, {"tenant_id": "globex", "order": "quality"}, format="json")

    assert response.json()["id"] == low.pk


def test_next_leaves_out_the_pairs_the_caller_excludes(api, reviewer, pending_pair):
    following = QAPairFactory()

    response = api(reviewer).post(NEXT, {"exclude": [pending_pair.pk]}, format="json")

    assert response.json()["id"] == following.pk


def test_next_on_an_empty_queue_answers_204(api, reviewer, db):
    assert api(reviewer).post(NEXT, {}, format="json").status_code == 204


def test_next_with_an_unknown_order_is_400(api, reviewer, db):
    response = api(reviewer).post(NEXT, {"order": "random"}, format="json")

    assert response.status_code == 400
    assert "order" in response.json()


def test_next_without_the_review_permission_is_403(api, curator, pending_pair):
    response = api(curator).post(NEXT, {}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == REVIEW_PERMISSION_MISSING


def test_skip_releases_the_callers_claim(api, reviewer, pending_pair):
    hold(pending_pair, reviewer)

    response = api(reviewer).post(skip_url(pending_pair))

    assert response.status_code == 200
    assert QAPair.objects.get(pk=pending_pair.pk).claimed_by is None


def test_skip_of_a_pair_another_reviewer_holds_is_409(api, reviewer, other_reviewer, pending_pair):
    hold(pending_pair, other_reviewer)

    response = api(reviewer).post(skip_url(pending_pair))

    assert response.status_code == 409
    assert "second-reviewer" in response.json()["detail"]


def test_approve_of_a_pair_another_reviewer_holds_is_409(api, reviewer, other_reviewer, pending_pair):
    hold(pending_pair, other_reviewer)

    response = api(reviewer).post(f"/api/v1/qa-pairs/{pending_pair.pk}/approve/", {}, format="json")

    assert response.status_code == 409


def test_edit_and_approve_stores_the_text_approves_and_reports_the_flags(api, reviewer, pending_pair):
    response = api(reviewer).post(
        edit_url(pending_pair), {"question": pending_pair.question, "answer": "Mail a@example.com"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["pair"]["review_status"] == "approved"
    assert body["pair"]["answer"] == "Mail a@example.com"
    assert "pii_email" in body["flags_added"]


def test_edit_and_approve_of_a_decided_pair_is_409(api, reviewer, db):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)

    response = api(reviewer).post(edit_url(pair), {"question": "Q?", "answer": "A."}, format="json")

    assert response.status_code == 409


def test_edit_and_approve_without_the_review_permission_is_403(api, curator, pending_pair):
    response = api(curator).post(edit_url(pending_pair), {"question": "Q?", "answer": "A."}, format="json")

    assert response.status_code == 403


def test_edit_and_approve_with_a_nul_is_400_and_stores_nothing(api, reviewer, pending_pair):
    response = api(reviewer).post(edit_url(pending_pair), {"question": "Q?", "answer": "A\x00."}, format="json")

    assert response.status_code == 400
    assert "NUL character" in response.json()["detail"]
    stored = QAPair.objects.get(pk=pending_pair.pk)
    assert (stored.answer, stored.review_status) == ("5", QAPair.ReviewStatus.PENDING)


def test_edit_and_approve_over_the_text_cap_is_400_and_stores_nothing(api, reviewer, pending_pair, settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = 40

    response = api(reviewer).post(edit_url(pending_pair), {"question": "Q?", "answer": "x" * 41}, format="json")

    assert response.status_code == 400
    assert QAPair.objects.get(pk=pending_pair.pk).answer == "5"
