"""A saved output_schema keeps its references inside itself and its patterns runnable in linear time.

The refusal comes from `draft_problems`, so the service, the admin form and the API (400) say the same.
"""

import json

import pytest

from synthgov.errors import InvalidInput
from templates_app.admin import TemplateVersionForm
from templates_app.models import CONTENT_FIELDS, TemplateVersion
from templates_app.services import template_version_save_draft
from tests.factories import SUM_SCHEMA, PromptTemplateFactory, TemplateVersionFactory

REMOTE = "http://127.0.0.1:9/answer.json"
LOCAL_FILE = "file:///etc/passwd"


def schema_with_answer(answer_schema: dict) -> dict:
    return {**SUM_SCHEMA, "properties": {"answer": answer_schema}}


def refusal(version, author) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as refused:
        template_version_save_draft(version=version, acting_user=author)
    return refused.value.problems


def unsaved_draft(author, **content) -> TemplateVersion:
    return TemplateVersionFactory.build(template=PromptTemplateFactory(), author=author, **content)


@pytest.mark.parametrize("reference", [REMOTE, LOCAL_FILE, "other.json#/$defs/answer"])
def test_save_draft_refuses_a_ref_outside_the_schema_naming_the_field_and_reference(author, reference):
    draft = unsaved_draft(author, output_schema=schema_with_answer({"$ref": reference}))

    problems = refusal(draft, author)

    assert list(problems) == ["output_schema"]
    (problem,) = problems["output_schema"]
    assert problem.startswith(f"output_schema: $ref {reference!r} at '#/properties/answer' points outside the schema")
    assert not TemplateVersion.objects.filter(template=draft.template).exists()


def test_save_draft_refuses_a_dynamic_ref_outside_the_schema(author):
    draft = unsaved_draft(author, output_schema=schema_with_answer({"$dynamicRef": REMOTE}))

    assert refusal(draft, author)["output_schema"][0].startswith(f"output_schema: $dynamicRef {REMOTE!r}")


def test_save_draft_accepts_a_ref_inside_the_schema(author):
    schema = {
        **SUM_SCHEMA,
        "$defs": {"digits": {"type": "string", "pattern": "^[0-9]+$"}},
        "properties": {"answer": {"$ref": "#/$defs/digits"}},
    }

    saved = template_version_save_draft(version=unsaved_draft(author, output_schema=schema), acting_user=author)

    assert saved.pk is not None


def test_save_draft_refuses_a_pattern_re2_cannot_compile_naming_the_field_and_pattern(author):
    draft = unsaved_draft(author, output_schema=schema_with_answer({"type": "string", "pattern": "(?<=x)[0-9]+"}))

    (problem,) = refusal(draft, author)["output_schema"]

    assert problem.startswith("output_schema: pattern '(?<=x)[0-9]+' at '#/properties/answer' is refused")


def test_save_draft_refuses_a_pattern_properties_key_re2_cannot_compile(author):
    schema = {**SUM_SCHEMA, "patternProperties": {"^(an)swer\\1$": {"type": "string"}}}

    (problem,) = refusal(unsaved_draft(author, output_schema=schema), author)["output_schema"]

    assert problem.startswith("output_schema: pattern '^(an)swer\\\\1$' at '#' (patternProperties) is refused")


def test_save_draft_accepts_a_nested_quantifier_that_re2_runs_in_linear_time(author):
    draft = unsaved_draft(author, output_schema=schema_with_answer({"type": "string", "pattern": "^(a+)+$"}))

    assert template_version_save_draft(version=draft, acting_user=author).pk is not None


def test_save_draft_refuses_a_subschema_in_another_dialect(author):
    # It would validate its subtree with that dialect's stock keywords, patterns on Python's `re`.
    draft_07 = "http://json-schema.org/draft-07/schema#"
    draft = unsaved_draft(author, output_schema=schema_with_answer({"$schema": draft_07, "pattern": "^(a+)+$"}))

    (problem,) = refusal(draft, author)["output_schema"]

    assert problem.startswith(f"output_schema: $schema {draft_07!r} at '#/properties/answer'")


def test_admin_form_shows_the_reference_it_refuses(author):
    template = PromptTemplateFactory()
    draft = TemplateVersionFactory.build(template=template, author=author)
    data = {
        "template": template.pk,
        **{name: getattr(draft, name) for name in CONTENT_FIELDS},
        "variables": json.dumps(draft.variables),
        "output_schema": json.dumps({"$ref": REMOTE}),
        "exemplars": json.dumps(draft.exemplars),
    }

    form = TemplateVersionForm(data=data, instance=TemplateVersion(author=author))

    assert not form.is_valid()
    assert any(REMOTE in error for error in form.non_field_errors())
