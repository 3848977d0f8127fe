"""template_version_publish: draft -> approved, guarded by permission, four eyes and content checks."""

import pytest

from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from templates_app.models import TemplateVersion
from templates_app.services import FOUR_EYES_REFUSAL, template_version_publish
from tests.factories import TemplateVersionFactory


@pytest.fixture
def approving_author(make_user):
    """Someone who both writes versions and may publish them."""
    return make_user("approving_author", "Template authors", "Approvers")


def test_publish_approves_a_draft(draft_version, approver):
    template_version_publish(version=draft_version, acting_user=approver)

    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.APPROVED


def test_publish_records_the_publisher_and_the_time(draft_version, approver):
    template_version_publish(version=draft_version, acting_user=approver)

    draft_version.refresh_from_db()
    assert draft_version.published_by == approver
    assert draft_version.published_at is not None
    assert draft_version.published_at >= draft_version.created_at


def test_publish_refuses_an_archived_version(archived_version, approver, stored_row):
    before = stored_row(archived_version)

    with pytest.raises(TransitionRefused) as excinfo:
        template_version_publish(version=archived_version, acting_user=approver)

    assert excinfo.value.message == (
        f"Only a draft can be published; version {archived_version.version} of "
        f"'{archived_version.template.key}' is archived."
    )

    assert stored_row(archived_version) == before
    assert before["status"] == TemplateVersion.Status.ARCHIVED


def test_publish_refuses_an_already_approved_version(approved_version, make_user, stored_row):
    second_approver = make_user("second_approver", "Approvers")
    before = stored_row(approved_version)

    with pytest.raises(TransitionRefused, match=r"^Only a draft can be published; .* is approved\.$"):
        template_version_publish(version=approved_version, acting_user=second_approver)

    assert stored_row(approved_version) == before


def test_publish_refuses_a_user_without_the_publish_permission(draft_version, nobody, stored_row):
    before = stored_row(draft_version)

    with pytest.raises(
        PermissionRefused,
        match=r"^Publishing a template version needs the 'templates_app.publish_templateversion' permission; ask",
    ):
        template_version_publish(version=draft_version, acting_user=nobody)

    assert stored_row(draft_version) == before


def test_publish_refuses_a_template_author_without_the_approver_role(make_user, stored_row):
    draft = TemplateVersionFactory(author=make_user("writer", "Template authors"))
    other_author = make_user("other_writer", "Template authors")
    before = stored_row(draft)

    with pytest.raises(PermissionRefused, match=r"templates_app\.publish_templateversion"):
        template_version_publish(version=draft, acting_user=other_author)

    assert stored_row(draft) == before


def test_publish_refuses_the_versions_own_author(approving_author, stored_row):
    draft = TemplateVersionFactory(author=approving_author)
    before = stored_row(draft)

    with pytest.raises(PermissionRefused) as excinfo:
        template_version_publish(version=draft, acting_user=approving_author)

    assert excinfo.value.message == FOUR_EYES_REFUSAL
    assert stored_row(draft) == before


def test_publish_allows_the_own_author_when_four_eyes_is_off(approving_author, settings):
    settings.SYNTHGOV_FOUR_EYES = False
    draft = TemplateVersionFactory(author=approving_author)

    template_version_publish(version=draft, acting_user=approving_author)

    draft.refresh_from_db()
    assert draft.status == TemplateVersion.Status.APPROVED
    assert draft.published_by == approving_author


def test_publish_refuses_a_syntax_error_naming_the_field_and_line(draft_with, approver, stored_row):
    draft = draft_with(answer_template="{{ a + b }}\nsecond line\n{{ a + }}")
    before = stored_row(draft)

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=draft, acting_user=approver)

    assert excinfo.value.message == "Cannot publish: answer_template, line 3: unexpected 'end of print statement'"
    assert stored_row(draft) == before


def test_publish_refuses_an_undefined_variable(draft_with, approver, stored_row):
    draft = draft_with(question_template="What is {{ a }} plus\n{{ c }}?")
    before = stored_row(draft)

    with pytest.raises(InvalidInput, match=r"question_template, line 2: 'c' is undefined"):
        template_version_publish(version=draft, acting_user=approver)

    assert stored_row(draft) == before


def test_publish_refuses_an_exemplar_that_fails_to_render(draft_with, approver, stored_row):
    draft = draft_with(exemplars=[{"a": 1, "b": 2}, {"a": "one", "b": 2}])
    before = stored_row(draft)

    with pytest.raises(InvalidInput, match=r"with exemplar 2: answer_template, line 1: ") as excinfo:
        template_version_publish(version=draft, acting_user=approver)

    assert "exemplar 1" not in excinfo.value.message
    assert stored_row(draft) == before


def test_publish_refuses_an_output_schema_that_is_not_json_schema(draft_with, approver, stored_row):
    draft = draft_with(output_schema={"type": "sentence"})
    before = stored_row(draft)

    with pytest.raises(InvalidInput, match="output_schema is not valid JSON Schema"):
        template_version_publish(version=draft, acting_user=approver)

    assert stored_row(draft) == before


def test_publish_refuses_exemplars_that_are_not_objects(draft_with, approver, stored_row):
    draft = draft_with(exemplars=[[1, 2]])
    before = stored_row(draft)

    with pytest.raises(InvalidInput, match="exemplars must be a list of objects"):
        template_version_publish(version=draft, acting_user=approver)

    assert stored_row(draft) == before


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        pytest.param(
            {"a": {"sampler": "dice", "sides": 6}, "b": {"sampler": "int_range", "min": 1, "max": 9}},
            "variables: a: unknown sampler 'dice' (use one of 'choice', 'int_range', 'float_range', 'list', "
            "'template', 'exemplar', 'subchapter', 'gaussian', 'bernoulli', 'poisson', 'datetime', 'uuid', 'person', "
            "'faker')",
            id="unknown-sampler",
        ),
        pytest.param(
            {"a": {"sampler": "int_range", "min": 10, "max": 1}, "b": {"sampler": "int_range", "min": 1, "max": 9}},
            "variables: a: min (10) is greater than max (1)",
            id="min-above-max",
        ),
        pytest.param(
            {"a": {"sampler": "choice", "values": [1, 2], "weights": [1]}, "b": {"sampler": "choice", "values": [3]}},
            "variables: a: 1 weights for 2 values",
            id="weights-length-mismatch",
        ),
        pytest.param(
            {
                "a": {"sampler": "choice", "values": [1, 2], "weights": [0, 0]},
                "b": {"sampler": "choice", "values": [3]},
            },
            "variables: a: at least one weight must be positive",
            id="all-weights-zero",
        ),
        pytest.param(
            {"a": {"sampler": "int_range", "min": 1}, "b": {"sampler": "int_range", "min": 1, "max": 9}},
            "variables: a: missing parameter 'max' for sampler 'int_range'",
            id="missing-parameter",
        ),
    ],
)
def test_publish_refuses_an_invalid_variables_spec(draft_with, approver, stored_row, variables, message):
    draft = draft_with(variables=variables)
    before = stored_row(draft)

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=draft, acting_user=approver)

    assert excinfo.value.message == f"Cannot publish: {message}"
    assert stored_row(draft) == before


def test_publish_refuses_a_recursive_macro(draft_with, approver, stored_row):
    draft = draft_with(context_template="{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")
    before = stored_row(draft)

    with pytest.raises(InvalidInput, match="context_template"):
        template_version_publish(version=draft, acting_user=approver)

    assert stored_row(draft) == before
