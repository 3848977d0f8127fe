"""The API of review decisions: a pair's decisions (blind), agreement figures, adjudicate, reject reasons.

The over-long and NUL reason tests matter on PostgreSQL (which refuses NUL in text); they run on both.
"""

import pytest

from qa_app.models import QAPair, ReviewDecision
from qa_app.services import ADJUDICATE_PERMISSION_MISSING, qa_pair_approve, qa_pair_reject
from synthgov.history import MAX_REASON_CHARS
from tests.factories import QAPairFactory, RejectReasonFactory, TwoReviewerPairFactory

PAIRS = "/api/v1/qa-pairs/"


@pytest.fixture
def pending_pair(db):
    return QAPairFactory()


@pytest.fixture
def disputed(db, reviewer, second):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer, reason="fine")
    qa_pair_reject(pair=pair, acting_user=second, reason="wrong")
    return pair


def test_decisions_lists_a_decided_pairs_decisions(api, reviewer, pending_pair, second):
    qa_pair_reject(pair=pending_pair, acting_user=second, reason="wrong sum")

    response = api(reviewer).get(f"{PAIRS}{pending_pair.pk}/decisions/")

    assert response.status_code == 200
    body = response.json()
    assert body["hidden"] == 0
    assert [(row["reviewer"], row["decision"], row["reason"]) for row in body["decisions"]] == [
        ("second-reviewer", "reject", "wrong sum")
    ]


def test_decisions_hide_another_reviewers_decision_of_the_open_round(api, reviewer, second):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)

    body = api(second).get(f"{PAIRS}{pair.pk}/decisions/").json()

    assert body == {"decisions": [], "hidden": 1}


def test_decisions_need_the_view_permission(api, nobody, pending_pair):
    assert api(nobody).get(f"{PAIRS}{pending_pair.pk}/decisions/").status_code == 403


def test_adjudicate_decides_a_disputed_pair(api, adjudicator, disputed):
    response = api(adjudicator).post(
        f"{PAIRS}{disputed.pk}/adjudicate/", {"decision": "approve", "reason": "right after all"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["review_status"] == "approved"
    assert ReviewDecision.objects.filter(pair=disputed, is_adjudication=True).count() == 1


def test_adjudicate_without_the_permission_answers_403(api, make_user, disputed):
    response = api(make_user("third", "Reviewers")).post(
        f"{PAIRS}{disputed.pk}/adjudicate/", {"decision": "approve"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == ADJUDICATE_PERMISSION_MISSING


def test_adjudicate_a_pair_not_awaiting_adjudication_answers_409(api, adjudicator, pending_pair):
    response = api(adjudicator).post(f"{PAIRS}{pending_pair.pk}/adjudicate/", {"decision": "approve"}, format="json")

    assert response.status_code == 409


def test_adjudicated_rejection_without_a_reason_answers_400(api, adjudicator, disputed):
    response = api(adjudicator).post(f"{PAIRS}{disputed.pk}/adjudicate/", {"decision": "reject"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()


def test_reject_takes_a_reason_code(api, reviewer, pending_pair):
    RejectReasonFactory(code="off-topic", label="Off topic")

    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reject/", {"reason_code": "off-topic"}, format="json")

    assert response.status_code == 200
    assert response.json()["review_reason"] == "Off topic"


def test_reject_with_an_unknown_reason_code_answers_400_naming_the_field(api, reviewer, pending_pair):
    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reject/", {"reason_code": "nope"}, format="json")

    assert response.status_code == 400
    assert "reason_code" in response.json()


def test_approving_ones_own_pair_answers_403_naming_the_rule(api, reviewer):
    created = api(reviewer).post(PAIRS, {"question": "Q?", "answer": "A.", "tenant_id": "acme"}, format="json")

    response = api(reviewer).post(f"{PAIRS}{created.json()['id']}/approve/")

    assert response.status_code == 403
    assert "four-eyes" in response.json()["detail"]


def test_bulk_review_reports_recorded_and_escalated_decisions(api, reviewer, second):
    first_pass = TwoReviewerPairFactory.create_batch(2)
    qa_pair_approve(pair=first_pass[0], acting_user=reviewer)

    response = api(second).post(
        f"{PAIRS}review/",
        {"ids": [pair.pk for pair in first_pass], "decision": "reject", "reason": "no"},
        format="json",
    )

    assert response.json() == {"decided": 0, "skipped": 0, "recorded": 1, "escalated": 1, "own_content": 0}


def test_agreement_answers_the_figures(api, reviewer, second):
    pair = TwoReviewerPairFactory()
    qa_pair_approve(pair=pair, acting_user=reviewer)
    qa_pair_approve(pair=pair, acting_user=second)

    body = api(reviewer).get(f"{PAIRS}agreement/").json()

    assert body["overall"] == {"pairs": 1, "agreed": 1, "percent_agreement": 100.0, "kappa": None}
    assert body["by_reviewer_pair"][0]["reviewers"] == ["reviewer", "second-reviewer"]
    assert body["judge"]["pairs"] == 0


def test_an_over_long_reject_reason_answers_400_and_stores_nothing(api, reviewer, pending_pair):
    response = api(reviewer).post(
        f"{PAIRS}{pending_pair.pk}/reject/", {"reason": "x" * (MAX_REASON_CHARS + 1)}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()
    assert not ReviewDecision.objects.exists()
    assert QAPair.objects.get(pk=pending_pair.pk).review_status == "pending"


def test_a_nul_in_a_bulk_reject_reason_answers_400_and_stores_nothing(api, reviewer):
    pairs = QAPairFactory.create_batch(2)

    response = api(reviewer).post(
        f"{PAIRS}review/",
        {"ids": [pair.pk for pair in pairs], "decision": "reject", "reason": "bad\x00"},
        format="json",
    )

    assert response.status_code == 400
    assert "NUL" in response.json()["reason"][0]
    assert not ReviewDecision.objects.exists()
    assert set(QAPair.objects.values_list("review_status", flat=True)) == {"pending"}


def test_a_nul_in_an_adjudication_reason_answers_400_and_stores_nothing(api, adjudicator, disputed):
    response = api(adjudicator).post(
        f"{PAIRS}{disputed.pk}/adjudicate/", {"decision": "reject", "reason": "no\x00"}, format="json"
    )

    assert response.status_code == 400
    assert not ReviewDecision.objects.filter(is_adjudication=True).exists()
