"""qa-pairs: filters, keyset pages, operator pairs, edits, and review decisions one by one or in bulk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa_app.models import QAPair
from qa_app.services import REJECTION_NEEDS_REASON, REOPEN_NEEDS_REASON, REVIEW_PERMISSION_MISSING
from tests.factories import QAPairFactory

PAIRS = "/api/v1/qa-pairs/"


@pytest.fixture
def pending_pair(db):
    return QAPairFactory(question="What is 2 plus 3?", answer="5")


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_lists_pairs_in_id_order(api, reviewer):
    pairs = QAPairFactory.create_batch(3)

    response = api(reviewer).get(PAIRS)

    assert response.status_code == 200
    assert ids(response) == [pair.pk for pair in pairs]


def test_filters_by_review_status_source_and_tenant(api, reviewer, approved_pairs):
    (approved,) = approved_pairs(1, tenant_id="globex")
    QAPairFactory(tenant_id="globex")
    QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED, tenant_id="acme")

    response = api(reviewer).get(PAIRS, {"review_status": "approved", "source": "operator", "tenant_id": "globex"})

    assert ids(response) == [approved.pk]


def test_filters_by_quality_score_range_and_flags(api, reviewer):
    QAPairFactory(quality_score=0.2)
    good = QAPairFactory(quality_score=0.9)
    flagged = QAPairFactory(quality_score=0.95, flags=["pii_email"])
    client = api(reviewer)

    assert ids(client.get(PAIRS, {"quality_score_min": 0.5})) == [good.pk, flagged.pk]
    assert ids(client.get(PAIRS, {"quality_score_min": 0.5, "flagged": "true"})) == [flagged.pk]
    assert ids(client.get(PAIRS, {"quality_score_max": 0.92, "flagged": "false", "quality_score_min": 0.5})) == [
        good.pk
    ]


def test_an_invalid_filter_value_answers_400_naming_it(api, reviewer):
    response = api(reviewer).get(PAIRS, {"review_status": "maybe"})

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "review_status"]


def test_pages_follow_the_cursor_without_counting_the_table(api, reviewer):
    pairs = QAPairFactory.create_batch(5)
    client = api(reviewer)
    client.get(PAIRS)  # loads the user's permissions once

    with CaptureQueriesContext(connection) as queries:
        first = client.get(PAIRS, {"page_size": 2}).json()
        second = client.get(first["next"]).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [pair.pk for pair in pairs[:4]]
    assert "count" not in first
    statements = [query["sql"].upper() for query in queries.captured_queries]
    assert not any("COUNT(" in sql or "OFFSET" in sql for sql in statements)


def test_the_list_costs_one_query_however_many_pairs_it_shows(api, reviewer, django_assert_num_queries):
    client = api(reviewer)
    client.get(PAIRS)
    QAPairFactory.create_batch(2, review_status=QAPair.ReviewStatus.APPROVED, reviewed_by=reviewer)
    with django_assert_num_queries(1):
        assert len(ids(client.get(PAIRS))) == 2
    QAPairFactory.create_batch(20, review_status=QAPair.ReviewStatus.APPROVED, reviewed_by=reviewer)
    with django_assert_num_queries(1):
        assert len(ids(client.get(PAIRS))) == 22


def test_create_writes_an_operator_pair_pending_review(api, reviewer):
    response = api(reviewer).post(PAIRS, {"question": "Q?", "answer": "A.", "tenant_id": "acme"}, format="json")

    assert response.status_code == 201
    assert (response.json()["source"], response.json()["review_status"]) == ("operator", "pending")


def test_create_without_a_question_answers_400_naming_it(api, reviewer):
    response = api(reviewer).post(PAIRS, {"answer": "A.", "tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert response.json()["question"] == ["This field is required."]


def test_create_of_a_duplicate_answers_400(api, reviewer, pending_pair):
    response = api(reviewer).post(
        PAIRS, {"question": "what is 2 plus 3?", "answer": "5", "tenant_id": "acme"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": f"QA pair #{pending_pair.pk} of tenant 'acme' already has this content."}


def test_create_needs_the_add_permission(api, operator):
    response = api(operator).post(PAIRS, {"question": "Q?", "answer": "A.", "tenant_id": "acme"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Writing QA pairs needs the 'qa_app.add_qapair' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_editing_an_approved_pair_sends_it_back_to_review(api, reviewer, approved_pairs):
    (pair,) = approved_pairs(1)

    response = api(reviewer).patch(f"{PAIRS}{pair.pk}/", {"answer": "A better answer."}, format="json")

    assert response.status_code == 200
    assert (response.json()["answer"], response.json()["review_status"]) == ("A better answer.", "pending")


def test_the_tenant_of_a_pair_cannot_be_changed(api, reviewer, pending_pair):
    api(reviewer).patch(f"{PAIRS}{pending_pair.pk}/", {"tenant_id": "globex"}, format="json")

    pending_pair.refresh_from_db()
    assert pending_pair.tenant_id == "acme"


def test_approve_approves_a_pending_pair(api, reviewer, pending_pair):
    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/approve/")

    assert response.status_code == 200
    assert (response.json()["review_status"], response.json()["reviewed_by"]) == ("approved", "reviewer")


def test_approve_of_a_decided_pair_answers_409(api, reviewer, approved_pairs):
    (pair,) = approved_pairs(1)

    response = api(reviewer).post(f"{PAIRS}{pair.pk}/approve/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"QA pair #{pair.pk} is approved; only pending pairs can be approved (reopen it first)."
    }


def test_approve_needs_the_review_permission(api, operator, pending_pair):
    response = api(operator).post(f"{PAIRS}{pending_pair.pk}/approve/")

    assert response.status_code == 403
    assert response.json() == {"detail": REVIEW_PERMISSION_MISSING}


def test_reject_records_the_reason(api, reviewer, pending_pair):
    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reject/", {"reason": "wrong sum"}, format="json")

    assert response.status_code == 200
    assert (response.json()["review_status"], response.json()["review_reason"]) == ("rejected", "wrong sum")


@pytest.mark.parametrize("body", [{}, {"reason": "   "}])
def test_reject_without_a_reason_answers_400_naming_reason(api, reviewer, pending_pair, body):
    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reject/", body, format="json")

    assert response.status_code == 400
    assert response.json()["reason"] == [REJECTION_NEEDS_REASON]


def test_reopen_sends_a_decided_pair_back_to_review(api, reviewer, approved_pairs):
    (pair,) = approved_pairs(1)

    response = api(reviewer).post(f"{PAIRS}{pair.pk}/reopen/", {"reason": "second look"}, format="json")

    assert response.status_code == 200
    assert response.json()["review_status"] == "pending"


def test_reopen_of_a_pending_pair_answers_409(api, reviewer, pending_pair):
    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reopen/", {"reason": "second look"}, format="json")

    assert response.status_code == 409


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_reopen_without_a_reason_answers_400_naming_reason(api, reviewer, approved_pairs, body):
    (pair,) = approved_pairs(1)

    response = api(reviewer).post(f"{PAIRS}{pair.pk}/reopen/", body, format="json")

    assert response.status_code == 400
    assert response.json()["reason"] == [REOPEN_NEEDS_REASON]
    pair.refresh_from_db()
    assert pair.review_status == "approved"


def test_an_unknown_pair_answers_404(api, reviewer):
    assert api(reviewer).post(f"{PAIRS}999999/approve/").status_code == 404


def test_bulk_review_decides_pending_pairs_and_skips_the_rest(api, reviewer, approved_pairs):
    pending = QAPairFactory.create_batch(2)
    (approved,) = approved_pairs(1)

    response = api(reviewer).post(
        f"{PAIRS}review/", {"ids": [*[pair.pk for pair in pending], approved.pk], "decision": "approve"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"decided": 2, "skipped": 1, "recorded": 0, "escalated": 0, "own_content": 0}
    assert set(QAPair.objects.values_list("review_status", flat=True)) == {"approved"}


def test_bulk_reject_without_a_reason_answers_400_naming_reason(api, reviewer, pending_pair):
    response = api(reviewer).post(f"{PAIRS}review/", {"ids": [pending_pair.pk], "decision": "reject"}, format="json")

    assert response.status_code == 400
    assert response.json()["reason"] == [REJECTION_NEEDS_REASON]


def test_bulk_review_of_unknown_ids_answers_400_naming_ids(api, reviewer, pending_pair):
    response = api(reviewer).post(
        f"{PAIRS}review/", {"ids": [pending_pair.pk, 999999], "decision": "approve"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["ids"] == ["No QA pairs with these ids: #999999; nothing was decided."]
    pending_pair.refresh_from_db()
    assert pending_pair.review_status == "pending"


def test_bulk_review_needs_the_review_permission(api, operator, pending_pair):
    response = api(operator).post(f"{PAIRS}review/", {"ids": [pending_pair.pk], "decision": "approve"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": REVIEW_PERMISSION_MISSING}
