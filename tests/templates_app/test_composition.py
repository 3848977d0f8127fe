"""Composition: `{% include %}` / `{% extends %}` by template key, resolved, checked and pinned."""

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.urls import reverse

from jobs_app.services import JobRequest, job_run, job_trigger
from qa_app.models import QAPair
from synthgov.errors import InvalidInput
from templates_app.composition import NOT_APPROVED, UNKNOWN_TEMPLATE
from templates_app.files import export_templates, import_templates, read_documents
from templates_app.models import PromptTemplate, TemplateVersion
from templates_app.rendering import CompiledVersion, TemplateRenderError
from templates_app.rendering.composition import COMPOSED_TOO_LARGE, COMPUTED_REFERENCE, REFERENCE_CYCLE
from templates_app.services import (
    template_version_archive,
    template_version_new_draft,
    template_version_publish,
    template_version_save_draft,
)
from tests.factories import PromptTemplateFactory, TemplateVersionFactory

VARIABLES = {"a": 2, "b": 3}


@pytest.fixture
def published(author, approver):
    """Publish a new version of the template with `key` (created on first use) with the given fields."""

    def publish(key: str, **fields) -> TemplateVersion:
        version = TemplateVersionFactory.build(template=_template(key), author=author, **fields)
        version.version = None
        template_version_save_draft(version=version, acting_user=author)
        return template_version_publish(version=version, acting_user=approver)

    return publish


@pytest.fixture
def draft(author):
    """A draft of a new template (or of the template with `key`), saved without the draft checks."""

    def make(key: str | None = None, **fields) -> TemplateVersion:
        template = _template(key) if key else PromptTemplateFactory()
        number = (template.versions.aggregate(latest=Max("version"))["latest"] or 0) + 1
        return TemplateVersionFactory(template=template, version=number, author=author, **fields)

    return make


def _template(key: str) -> PromptTemplate:
    return PromptTemplate.objects.filter(key=key).first() or PromptTemplateFactory(key=key)


def _render(version, field="question") -> str:
    return CompiledVersion.compile(version).render(VARIABLES, [field])[field]


def _compile_error(version) -> TemplateRenderError:
    with pytest.raises(TemplateRenderError) as excinfo:
        CompiledVersion.compile(version)
    return excinfo.value


def test_an_include_renders_the_same_field_of_the_referenced_template(published, draft):
    published("preamble", question_template="Be precise.", answer_template="Unused.")

    version = draft(question_template='{% include "preamble" %} What is {{ a }} plus {{ b }}?')

    assert _render(version) == "Be precise. What is 2 plus 3?"


def test_an_included_template_sees_the_including_templates_variables(published, draft):
    published("operands", question_template="{{ a }} and {{ b }}")

    version = draft(question_template='Add {% include "operands" %}.')

    assert _render(version) == "Add 2 and 3."


def test_key_and_field_includes_another_field_of_the_referenced_template(published, draft):
    published("preamble", context_template="Context from the preamble.")

    version = draft(question_template='{% include "preamble:context" %} Go.')

    assert _render(version) == "Context from the preamble. Go."


def test_extends_fills_the_blocks_of_the_referenced_template(published, draft):
    published("frame", question_template="Task: {% block task %}none{% endblock %} Thanks.")

    version = draft(question_template='{% extends "frame" %}{% block task %}add {{ a }} and {{ b }}{% endblock %}')

    assert _render(version) == "Task: add 2 and 3 Thanks."


def test_publish_pins_every_referenced_version_transitively(published, draft, approver):
    inner = published("inner", question_template="inner")
    outer = published("outer", question_template='outer {% include "inner" %}')
    version = draft(question_template='{% include "outer" %} {{ a }} {{ b }}')

    template_version_publish(version=version, acting_user=approver)

    version.refresh_from_db()
    assert version.pinned_includes == {
        "inner": {"version_id": inner.pk, "version": inner.version, "content_sha256": inner.content_sha256},
        "outer": {"version_id": outer.pk, "version": outer.version, "content_sha256": outer.content_sha256},
    }


def test_an_approved_version_keeps_rendering_its_pinned_versions_after_a_newer_publish(published, draft, approver):
    published("preamble", question_template="Old preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)

    published("preamble", question_template="New preamble.")

    version.refresh_from_db()
    assert _render(version) == "Old preamble. 2 3"


def test_a_draft_renders_the_current_approved_version_of_what_it_includes(published, draft, approver, author):
    published("preamble", question_template="Old preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)
    published("preamble", question_template="New preamble.")

    new_draft = template_version_new_draft(version=version, acting_user=author)

    assert _render(new_draft) == "New preamble. 2 3"


def test_the_content_hash_differs_with_a_different_pin(published, draft, approver):
    first = published("preamble", question_template="Same words.")
    second = published("preamble", question_template="Same words.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    unpinned_hash = version.content_sha256

    version.pinned_includes = {"preamble": {"version_id": first.pk, "version": 1, "content_sha256": "x"}}
    hash_with_first = version.compute_content_sha256()
    version.pinned_includes = {"preamble": {"version_id": second.pk, "version": 2, "content_sha256": "x"}}

    assert len({unpinned_hash, hash_with_first, version.compute_content_sha256()}) == 3


def test_a_version_without_includes_keeps_its_content_only_hash(approved_version):
    approved_version.pinned_includes = {}
    before = approved_version.content_sha256

    assert approved_version.compute_content_sha256() == before
    assert TemplateVersion(**approved_version.content()).compute_content_sha256() == before


def test_the_pins_of_an_approved_version_cannot_be_changed(published, draft, approver):
    published("preamble", question_template="Preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)

    version.pinned_includes = {}
    with pytest.raises(ValidationError, match="cannot be edited"):
        version.save()


def test_a_template_including_itself_is_refused_naming_the_cycle(draft):
    version = draft(key="selfish", question_template='Line one.\n{% include "selfish" %}')

    error = _compile_error(version)

    assert str(error) == "question_template, line 2: " + REFERENCE_CYCLE.format(cycle="selfish -> selfish")


def test_a_two_step_include_cycle_is_refused_naming_it(published, draft):
    published("alpha", question_template="alpha")
    published("beta", question_template='beta {% include "alpha" %}')

    version = draft(key="alpha", question_template='{% include "beta" %}')

    assert str(_compile_error(version)) == "question_template, line 1: " + REFERENCE_CYCLE.format(
        cycle="alpha -> beta -> alpha"
    )


def test_a_cycle_through_extends_is_refused_naming_it(published, draft):
    published("alpha", answer_template="{% block body %}alpha{% endblock %}")
    published("beta", answer_template='{% extends "alpha" %}{% block body %}beta{% endblock %}')

    version = draft(key="alpha", answer_template='{% extends "beta" %}')

    assert str(_compile_error(version)) == "answer_template, line 1: " + REFERENCE_CYCLE.format(
        cycle="alpha -> beta -> alpha"
    )


def test_an_unknown_key_is_refused_naming_it(draft):
    version = draft(context_template='\n\n{% include "no-such-template" %}')

    error = _compile_error(version)

    assert str(error) == "context_template, line 3: " + UNKNOWN_TEMPLATE.format(key="no-such-template")


def test_a_template_without_an_approved_version_is_refused_naming_it(draft):
    draft(key="unpublished")
    version = draft(question_template='{% include "unpublished" %}')

    assert str(_compile_error(version)) == "question_template, line 1: " + NOT_APPROVED.format(key="unpublished")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{% include name %}", id="variable"),
        pytest.param('{% include "pre" ~ "amble" %}', id="concatenation"),
        pytest.param('{% include ["preamble", name] %}', id="list-with-a-variable"),
        pytest.param('{% extends "a" if a else "b" %}', id="conditional"),
    ],
)
def test_a_computed_template_name_is_refused(draft, source):
    version = draft(question_template=source)

    assert str(_compile_error(version)) == f"question_template, line 1: {COMPUTED_REFERENCE}"


def test_an_unknown_field_after_the_colon_is_refused(published, draft):
    published("preamble")
    version = draft(question_template='{% include "preamble:footer" %}')

    assert "'preamble:footer' names no template field" in str(_compile_error(version))


def test_the_node_bound_counts_what_each_include_brings_in(published, draft, settings):
    published("long", question_template="{{ a }}" * 40)
    settings.SYNTHGOV_TEMPLATE_MAX_NODES = 200

    version = draft(question_template='{% include "long" %}' * 5)

    assert str(_compile_error(version)) == "question_template: " + COMPOSED_TOO_LARGE.format(limit=200)


def test_the_loop_bound_is_shared_with_included_templates(published, draft, settings):
    published("looping", question_template="{% for i in range(60) %}{% endfor %}")
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100

    version = draft(question_template='{% include "looping" %}{% include "looping" %}')

    with pytest.raises(TemplateRenderError, match="more than 100 loop iterations are not allowed"):
        _render(version)


def test_a_block_calling_itself_is_bounded(published, draft, settings):
    published("frame", question_template="{% block body %}{% endblock %}")
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100

    version = draft(
        question_template='{% extends "frame" %}{% block body %}{{ self.body() }}{{ self.body() }}{% endblock %}'
    )

    with pytest.raises(TemplateRenderError, match="more than 100 loop iterations are not allowed"):
        _render(version)


def test_an_error_inside_an_included_template_names_it(published, draft):
    published("greeting", question_template="Hello {{ name | default('you') }}!\n{{ a + b }}")

    version = draft(question_template='Intro\n{% include "greeting" %}')

    with pytest.raises(TemplateRenderError) as excinfo:
        CompiledVersion.compile(version).render({"a": 1, "b": "x"}, ["question"])

    assert str(excinfo.value).startswith("question_template, line 2: in 'greeting:question_template', line 2: ")


def test_save_draft_refuses_a_syntax_error_naming_the_field_and_line(author, draft_version):
    draft_version.answer_template = "{{ a + b }}\n{% if a %}"

    with pytest.raises(InvalidInput) as excinfo:
        template_version_save_draft(version=draft_version, acting_user=author)

    assert excinfo.value.field == "answer_template"
    assert excinfo.value.message.startswith("answer_template, line 2: ")


def test_save_draft_refuses_an_unknown_reference_naming_the_field(author, draft_version):
    draft_version.context_template = '{% include "missing" %}'

    with pytest.raises(InvalidInput) as excinfo:
        template_version_save_draft(version=draft_version, acting_user=author)

    assert excinfo.value.field == "context_template"
    assert excinfo.value.message == "context_template, line 1: " + UNKNOWN_TEMPLATE.format(key="missing")


def test_publish_refuses_a_draft_whose_reference_lost_its_approved_version(published, draft, approver):
    preamble = published("preamble", question_template="Preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')

    template_version_archive(version=preamble, acting_user=approver)

    with pytest.raises(InvalidInput, match="the template 'preamble' has no current approved version"):
        template_version_publish(version=version, acting_user=approver)


def test_the_job_lineage_carries_the_pinned_includes(published, draft, approver, run_job):
    published("preamble", question_template="Preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)

    job = run_job(version, record_count=2)

    assert job.lineage["pinned_includes"] == version.pinned_includes
    assert set(job.lineage["pinned_includes"]) == {"preamble"}


def test_a_preview_job_of_a_draft_renders_the_versions_its_references_had_when_triggered(
    published, draft, approver, run_job, django_capture_on_commit_callbacks, operator
):
    first = published("preamble", question_template="Old preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    job, _ = job_trigger(
        request=JobRequest(
            template_version=version, tenant_id="acme", record_count=2, target_surface="training", production=False
        ),
        acting_user=operator,
    )
    published("preamble", question_template="New preamble.")

    job = job_run(job_id=job.pk)

    assert job.lineage["pinned_includes"]["preamble"]["version_id"] == first.pk
    assert job.output_manifest["pinned_includes"] == job.lineage["pinned_includes"]
    assert {pair.question.split(".")[0] for pair in QAPair.objects.filter(job=job)} == {"Old preamble"}


def test_a_preview_job_of_a_draft_whose_reference_does_not_resolve_is_refused(draft, operator):
    version = draft(question_template='{% include "nowhere" %} {{ a }} {{ b }}')

    with pytest.raises(InvalidInput, match=r"cannot be previewed: .*no template has the key 'nowhere'") as refused:
        job_trigger(
            request=JobRequest(
                template_version=version, tenant_id="acme", record_count=2, target_surface="training", production=False
            ),
            acting_user=operator,
        )

    assert refused.value.field == "template_version"


def test_an_export_of_a_composed_version_imports_back_unchanged(published, draft, approver, author, tmp_path):
    published("preamble", question_template="Preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)
    export_templates(tmp_path)

    result = import_templates(read_documents(tmp_path), acting_user=author)

    assert (result.drafts_created, result.drafts_updated) == ([], [])
    document = yaml.safe_load((tmp_path / f"{version.template.key}.yaml").read_text())
    assert document["versions"][0]["pinned_includes"] == version.pinned_includes


def test_templates_that_include_each_other_import_as_drafts_into_an_empty_database(
    published, draft, approver, author, tmp_path
):
    published("preamble", question_template="Preamble.")
    version = draft(question_template='{% include "preamble" %} {{ a }} {{ b }}')
    template_version_publish(version=version, acting_user=approver)
    export_templates(tmp_path)
    TemplateVersion.objects.all().delete()
    PromptTemplate.objects.all().delete()

    import_templates(read_documents(tmp_path), acting_user=author)

    imported = TemplateVersion.objects.get(template__key=version.template.key)
    assert (imported.status, imported.question_template) == ("draft", version.question_template)
    assert imported.pinned_includes == {}


def test_the_admin_form_shows_an_unknown_reference_as_a_form_error(client, author, approved_version):
    client.force_login(author)
    form = {
        "template": approved_version.template.pk,
        "question_template": 'Q {{ a }}\n{% include "missing" %}',
        "answer_template": "{{ a }}",
        "variables": '{"a": {"sampler": "int_range", "min": 1, "max": 5}}',
        "output_schema": "{}",
        "exemplars": "[]",
    }

    response = client.post(reverse("admin:templates_app_templateversion_add"), form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "question_template, line 2: " + UNKNOWN_TEMPLATE.format(key="missing") in errors
    assert TemplateVersion.objects.count() == 1


def test_referenced_content_is_compiled_under_the_same_profile(published, draft, settings):
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = False
    published("loose", question_template="{{ a | pprint }}")
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = True

    version = draft(question_template='Intro\n{% include "loose" %}')

    assert str(_compile_error(version)) == (
        "question_template, line 2: in 'loose:question_template', line 1: "
        "the filter 'pprint' is not allowed in templates"
    )
