"""template-versions: drafts, immutability, publish/archive/new-draft, preview and coverage."""

import pytest

from templates_app.models import IMMUTABLE_VERSION, TemplateVersion
from templates_app.selectors import PREVIEW_MAX_RECORDS
from templates_app.services import FOUR_EYES_REFUSAL, template_version_archive
from tests.factories import PromptTemplateFactory, TemplateVersionFactory

VERSIONS = "/api/v1/template-versions/"
SUMS = {
    "question_template": "What is {{ a }} plus {{ b }}?",
    "answer_template": "{{ a + b }}",
    "variables": {"a": {"sampler": "int_range", "min": 1, "max": 9}, "b": {"sampler": "int_range", "min": 1, "max": 9}},
    "exemplars": [{"a": 1, "b": 2}],
}


def url(version, action: str = "") -> str:
    return f"{VERSIONS}{version.pk}/{action + '/' if action else ''}"


def test_lists_versions_filtered_by_template_key_and_status(api, author, draft_version):
    other = TemplateVersionFactory(author=author)

    response = api(author).get(VERSIONS, {"template_key": draft_version.template.key, "status": "draft"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [draft_version.pk]
    assert other.pk not in [row["id"] for row in response.json()["results"]]


def test_filters_the_current_version(api, author, approved_version):
    response = api(author).get(VERSIONS, {"is_current": "true"})

    assert [row["id"] for row in response.json()["results"]] == [
        version.pk for version in TemplateVersion.objects.filter(is_current=True)
    ]


def test_create_saves_a_draft_numbered_next_and_authored_by_the_caller(api, author, draft_version):
    response = api(author).post(VERSIONS, {"template": draft_version.template.pk, **SUMS}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["version"], body["author"]) == ("draft", draft_version.version + 1, "author")


def test_create_with_a_syntax_error_answers_400_naming_the_field_and_line(api, author):
    template = PromptTemplateFactory()

    response = api(author).post(
        VERSIONS, {"template": template.pk, **SUMS, "answer_template": "{{ a +\n}}"}, format="json"
    )

    assert response.status_code == 400
    (problem,) = response.json()["answer_template"]
    assert problem.startswith("answer_template, line 2: ")
    assert not TemplateVersion.objects.filter(template=template).exists()


def test_create_with_an_invalid_variables_spec_answers_400_on_variables(api, author):
    template = PromptTemplateFactory()

    response = api(author).post(
        VERSIONS, {"template": template.pk, **SUMS, "variables": {"a": {"sampler": "dice"}}}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["variables"][0].startswith("variables: ")


def test_create_without_the_add_permission_answers_403_with_the_services_message(api, viewer):
    template = PromptTemplateFactory()

    response = api(viewer).post(VERSIONS, {"template": template.pk, **SUMS}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Writing template versions needs the 'templates_app.add_templateversion' permission"
        "; ask an administrator to give you a role (group) that has it."
    }


def test_partial_update_edits_a_draft(api, author, draft_version):
    response = api(author).patch(url(draft_version), {"answer_template": "{{ b + a }}"}, format="json")

    assert response.status_code == 200
    draft_version.refresh_from_db()
    assert draft_version.answer_template == "{{ b + a }}"


def test_an_approved_version_is_immutable_409(api, author, approved_version):
    before = approved_version.content_sha256

    response = api(author).patch(url(approved_version), {"answer_template": "{{ b + a }}"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": IMMUTABLE_VERSION.format(
            version=approved_version.version, template=approved_version.template.key, status="approved"
        )
    }
    approved_version.refresh_from_db()
    assert approved_version.content_sha256 == before


def test_publish_approves_a_draft(api, approver, draft_version):
    response = api(approver).post(url(draft_version, "publish"), {}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["published_by"]) == ("approved", "approver")


def test_publish_refuses_the_versions_own_author_403(api, make_user):
    approving_author = make_user("approving-author", "Template authors", "Approvers")
    version = TemplateVersionFactory(author=approving_author)

    response = api(approving_author).post(url(version, "publish"), {}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": FOUR_EYES_REFUSAL}


def test_publish_of_an_approved_version_answers_409(api, make_user, approved_version):
    response = api(make_user("second", "Approvers")).post(url(approved_version, "publish"), {}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Only a draft can be published;")


def test_publish_of_a_version_that_does_not_render_answers_400_naming_field_and_line(api, approver, author):
    version = TemplateVersionFactory(author=author, answer_template="{{ a + c }}")

    response = api(approver).post(url(version, "publish"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Cannot publish: ")
    assert "answer_template, line 1: 'c' is undefined" in response.json()["detail"]


def test_publish_rejects_a_keep_previous_that_is_not_a_boolean(api, approver, draft_version):
    response = api(approver).post(url(draft_version, "publish"), {"keep_previous": "maybe"}, format="json")

    assert response.status_code == 400
    assert "keep_previous" in response.json()


def test_publish_keeps_the_previous_version_when_asked(api, approver, author, approved_version):
    draft = TemplateVersionFactory(author=author, template=approved_version.template)

    response = api(approver).post(url(draft, "publish"), {"keep_previous": True}, format="json")

    assert response.status_code == 200
    approved_version.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.APPROVED


def test_archive_archives_an_approved_version(api, approver, approved_version):
    response = api(approver).post(url(approved_version, "archive"))

    assert response.status_code == 200
    assert response.json()["status"] == "archived"


def test_archive_of_an_archived_version_answers_409(api, approver, approved_version):
    template_version_archive(version=approved_version, acting_user=approver)

    response = api(approver).post(url(approved_version, "archive"))

    assert response.status_code == 409
    assert response.json()["detail"].endswith("is already archived.")


def test_new_draft_copies_the_version_as_the_next_number(api, author, approved_version):
    response = api(author).post(url(approved_version, "new-draft"))

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["version"]) == ("draft", approved_version.version + 1)
    assert body["content_sha256"] == approved_version.content_sha256


def test_render_previews_records_with_the_variables_that_produced_each(api, author, draft_version):
    response = api(author).post(url(draft_version, "render"), {"seed": 3, "count": 4}, format="json")

    assert response.status_code == 200
    records = response.json()
    assert [record["record_index"] for record in records] == [0, 1, 2, 3]
    for record in records:
        variables = record["variables"]
        assert record["rendered"]["answer"] == str(variables["a"] + variables["b"])
        assert record["error"] is None


def test_render_is_deterministic_for_a_seed(api, author, draft_version):
    client = api(author)

    first = client.post(url(draft_version, "render"), {"seed": 5, "count": 3}, format="json").json()

    assert client.post(url(draft_version, "render"), {"seed": 5, "count": 3}, format="json").json() == first


def test_render_tries_a_variables_spec_without_saving_it(api, author, draft_version):
    spec = {"a": {"sampler": "choice", "values": [7]}, "b": {"sampler": "choice", "values": [8]}}

    response = api(author).post(url(draft_version, "render"), {"count": 1, "variables": spec}, format="json")

    assert response.json()[0]["rendered"]["answer"] == "15"
    draft_version.refresh_from_db()
    assert draft_version.variables != spec


def test_render_refuses_more_records_than_the_preview_allows(api, author, draft_version):
    response = api(author).post(url(draft_version, "render"), {"count": PREVIEW_MAX_RECORDS + 1}, format="json")

    assert response.status_code == 400
    assert response.json()["count"] == [f"Ensure this value is less than or equal to {PREVIEW_MAX_RECORDS}."]


def test_render_of_a_template_that_does_not_compile_answers_400_naming_field_and_line(api, author):
    version = TemplateVersionFactory(author=author, question_template="What is {{ a }\n?")

    response = api(author).post(url(version, "render"), {"count": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["question_template"][0].startswith("question_template, line 1: ")


def test_coverage_counts_the_combinations_a_job_covers(api, author, draft_with_small_spec):
    response = api(author).get(url(draft_with_small_spec, "coverage"), {"record_count": 100})

    assert response.status_code == 200
    body = response.json()
    assert (body["combinations"], body["record_count"], body["covered_at_most"]) == (4, 100, 4)


def test_coverage_needs_a_record_count(api, author, draft_version):
    response = api(author).get(url(draft_version, "coverage"))

    assert response.status_code == 400
    assert response.json()["record_count"] == ["This field is required."]


def test_an_unknown_version_answers_404(api, author):
    assert api(author).post(f"{VERSIONS}999999/publish/").status_code == 404


@pytest.fixture
def draft_with_small_spec(author):
    return TemplateVersionFactory(
        author=author,
        variables={
            "a": {"sampler": "int_range", "min": 1, "max": 2},
            "b": {"sampler": "int_range", "min": 1, "max": 2},
        },
    )


def test_coverage_refuses_a_record_count_no_job_may_have(api, author, draft_version, settings):
    response = api(author).get(url(draft_version, "coverage"), {"record_count": settings.SYNTHGOV_MAX_RECORD_COUNT + 1})

    assert response.status_code == 400
    assert response.json()["record_count"] == ["A job has at most 1,000,000 records; got 1,000,001."]


def test_render_of_a_template_no_record_can_render_answers_400_naming_field_and_line(api, author):
    version = TemplateVersionFactory(author=author, answer_template="{{ a + c }}")

    response = api(author).post(url(version, "render"), {"count": 2}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "No record renders: answer_template, line 1: 'c' is undefined"
    assert body["answer_template"] == [body["detail"]]


def test_render_shows_which_records_fail_when_others_render(api, author):
    version = TemplateVersionFactory(
        author=author,
        variables={
            "a": {"sampler": "list", "values": [1], "mode": "in_order"},
            "b": {"sampler": "choice", "values": [2]},
        },
        exemplars=[],
    )

    records = api(author).post(url(version, "render"), {"count": 2}, format="json").json()

    assert records[0]["rendered"]["answer"] == "3"
    assert records[1]["rendered"] is None
    assert records[1]["error"].startswith("variables: ")
