"""Inputs that once ended in a 500 answer a 400 naming the field, in the API's JSON error shape."""

import io
from urllib.parse import urlencode

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from collections_app.models import Membership
from qa_app.models import QAPair
from qa_app.services import MAX_REASON_CHARS
from synthgov.api.parsers import BODY_TOO_LARGE, NUL_CHARACTER, TOO_DEEP, JSONParser
from synthgov.api.serializers import MAX_DB_INTEGER
from tests.factories import CollectionFactory, QAPairFactory

PAIRS = "/api/v1/qa-pairs/"
FORM = "application/x-www-form-urlencoded"
NEW_PAIR = {"question": "What is 2 plus 3?", "answer": "5", "tenant_id": "acme"}
BEYOND_64_BITS = 2**64


def nested(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.fixture
def pending_pair(db):
    return QAPairFactory(question="What is 2 plus 3?", answer="5")


@pytest.fixture
def pending_job_contract(approved_version):
    return {
        "template_version": approved_version.pk,
        "tenant_id": "acme",
        "record_count": 3,
        "target_surface": "training",
    }


# Form-encoded null in JSON fields


def test_a_form_encoded_null_metadata_on_create_answers_400_naming_it(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, urlencode({**NEW_PAIR, "metadata": "null"}), content_type=FORM)

    assert response.status_code == 400
    assert response.json()["metadata"] == ["This field may not be null."]
    assert not QAPair.objects.exists()


def test_a_form_encoded_null_tags_on_edit_answers_400_naming_it(api, superuser_factory, pending_pair):
    response = api(superuser_factory()).patch(
        f"{PAIRS}{pending_pair.pk}/", urlencode({"tags": "null"}), content_type=FORM
    )

    assert response.status_code == 400
    assert response.json()["tags"] == ["This field may not be null."]


# Ids beyond what the database stores


def test_bulk_review_ids_over_64_bits_answer_400_naming_ids(api, reviewer, pending_pair):
    response = api(reviewer).post(
        f"{PAIRS}review/", {"ids": [pending_pair.pk, BEYOND_64_BITS], "decision": "approve"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["ids"] == {"1": [f"Ensure this value is less than or equal to {MAX_DB_INTEGER}."]}


def test_member_ids_over_64_bits_answer_400_naming_qa_pair_ids(api, curator):
    collection = CollectionFactory()

    response = api(curator).post(
        f"/api/v1/collections/{collection.pk}/members/", {"qa_pair_ids": [BEYOND_64_BITS]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "qa_pair_ids"]
    assert not Membership.objects.exists()


# Deeply nested JSON


def test_a_body_nested_1000_deep_answers_400(api, superuser_factory, settings):
    body = '{"question": "Q?", "answer": "A.", "tenant_id": "acme", "metadata": ' + "[" * 1000 + "]" * 1000 + "}"

    response = api(superuser_factory()).post(PAIRS, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_json_nested_deeper_than_the_setting_answers_400_naming_the_field(api, superuser_factory, settings):
    settings.SYNTHGOV_MAX_JSON_DEPTH = 5

    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "metadata": {"a": nested(5)}}, format="json")

    message = TOO_DEEP.format(where="The field 'metadata.a[0][0][0]'", limit=5)
    assert response.status_code == 400
    assert response.json() == {"detail": message, "metadata": [message]}


def test_json_as_deep_as_the_setting_is_accepted(api, superuser_factory, settings, suite_tenants):
    settings.SYNTHGOV_MAX_JSON_DEPTH = 5

    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "metadata": {"a": nested(3)}}, format="json")

    assert response.status_code == 201


def test_a_form_encoded_json_field_nested_too_deep_answers_400_naming_it(api, superuser_factory, settings):
    settings.SYNTHGOV_MAX_JSON_DEPTH = 5

    response = api(superuser_factory()).post(
        PAIRS, urlencode({**NEW_PAIR, "tags": "[" * 6 + "]" * 6}), content_type=FORM
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "tags"]


# NUL characters (PostgreSQL cannot store them; refused on every database alike)


def test_a_nul_in_a_json_value_answers_400_naming_the_field(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "metadata": {"note": "a\u0000b"}}, format="json")

    message = NUL_CHARACTER.format(where="The field 'metadata.note'")
    assert response.status_code == 400
    assert response.json() == {"detail": message, "metadata": [message]}
    assert not QAPair.objects.exists()


def test_a_nul_in_a_json_key_answers_400_naming_the_field(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "metadata": {"a\u0000": 1}}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "metadata"]


def test_a_nul_in_template_variables_answers_400_naming_variables(api, author, draft_version):
    variables = {"a": {"sampler": "choice", "values": ["x\u0000"]}}

    response = api(author).patch(
        f"/api/v1/template-versions/{draft_version.pk}/", {"variables": variables}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "variables"]


def test_a_nul_in_a_render_preview_spec_answers_400_naming_variables(api, author, draft_version):
    response = api(author).post(
        f"/api/v1/template-versions/{draft_version.pk}/render/",
        {"variables": {"a": {"sampler": "choice", "values": ["\u0000"]}}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "variables"]


def test_a_nul_in_generator_config_answers_400_naming_it(api, operator, pending_job_contract):
    response = api(operator).post(
        "/api/v1/jobs/", {**pending_job_contract, "generator_config": {"profile": "\u0000"}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "generator_config"]


def test_a_nul_in_a_form_value_answers_400_naming_the_field(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, urlencode({**NEW_PAIR, "tags": '["a\\u0000"]'}), content_type=FORM)

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "tags"]


def test_a_raw_nul_in_a_form_field_answers_400_naming_the_field(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, urlencode({**NEW_PAIR, "locale": "en\x00"}), content_type=FORM)

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "locale"]


def test_a_nul_in_a_plain_text_field_answers_400_naming_it(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "question": "Why\u0000?"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "question"]


def test_a_nul_in_the_idempotency_key_header_answers_400_naming_it(api, operator, pending_job_contract):
    response = api(operator).post(
        "/api/v1/jobs/", pending_job_contract, format="json", HTTP_IDEMPOTENCY_KEY="nightly\x00"
    )

    assert response.status_code == 400
    assert response.json()["idempotency_key"] == ["The Idempotency-Key header: Null characters are not allowed."]


def test_an_over_long_idempotency_key_header_answers_400_naming_it(api, operator, pending_job_contract):
    response = api(operator).post("/api/v1/jobs/", pending_job_contract, format="json", HTTP_IDEMPOTENCY_KEY="k" * 201)

    assert response.status_code == 400
    assert response.json()["idempotency_key"] == [
        "The Idempotency-Key header: Ensure this field has no more than 200 characters."
    ]


# Reasons


def test_a_reject_reason_over_100_characters_is_stored_whole(api, reviewer, pending_pair):
    reason = "The answer is wrong: " + "x" * 300

    response = api(reviewer).post(f"{PAIRS}{pending_pair.pk}/reject/", {"reason": reason}, format="json")

    assert response.status_code == 200
    assert response.json()["review_reason"] == reason
    assert pending_pair.history.first().history_change_reason == f"rejected: {reason}"


def test_a_bulk_reject_reason_over_100_characters_is_stored_whole(api, reviewer, pending_pair):
    reason = "Off topic: " + "x" * 300

    response = api(reviewer).post(
        f"{PAIRS}review/", {"ids": [pending_pair.pk], "decision": "reject", "reason": reason}, format="json"
    )

    assert response.status_code == 200
    assert pending_pair.history.first().history_change_reason == f"rejected: {reason}"


def test_a_reason_over_the_cap_answers_400_naming_reason(api, reviewer, pending_pair):
    response = api(reviewer).post(
        f"{PAIRS}{pending_pair.pk}/reject/", {"reason": "x" * (MAX_REASON_CHARS + 1)}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "reason"]
    pending_pair.refresh_from_db()
    assert pending_pair.review_status == QAPair.ReviewStatus.PENDING


# Bodies over the upload limit


def test_a_form_body_over_the_upload_limit_answers_400_in_json(api, superuser_factory, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api(superuser_factory())

    response = client.post(PAIRS, urlencode({**NEW_PAIR, "context": "x" * 2000}), content_type=FORM)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == BODY_TOO_LARGE.format(limit=1000)


def test_a_multipart_body_over_the_upload_limit_answers_400_in_json(api, superuser_factory, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "context": "x" * 2000}, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == BODY_TOO_LARGE.format(limit=1000)


def test_a_json_body_over_the_upload_limit_answers_400_in_json(api, superuser_factory, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api(superuser_factory()).post(PAIRS, {**NEW_PAIR, "context": "x" * 2000}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == BODY_TOO_LARGE.format(limit=1000)
    assert not QAPair.objects.exists()


def test_the_json_parser_reads_no_more_than_the_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    with pytest.raises(ParseError, match="larger than 1,000 bytes"):
        JSONParser().parse(io.BytesIO(b'{"context": "' + b"x" * 2000 + b'"}'))


# The error shape


def test_field_errors_carry_a_detail_naming_each_field(api, superuser_factory):
    response = api(superuser_factory()).post(PAIRS, {"tenant_id": "acme"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "question: This field is required. answer: This field is required.",
        "question": ["This field is required."],
        "answer": ["This field is required."],
    }


def test_a_write_to_a_url_no_endpoint_serves_answers_404_in_json_even_with_a_session(superuser_factory):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(superuser_factory())

    response = client.delete("/api/v1/chapters/2.5e-3/")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("No API endpoint at /api/v1/chapters/2.5e-3/")
