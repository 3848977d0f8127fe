"""CompiledVersion: a version's fields rendered with variables; errors name the field and line."""

import pytest

from templates_app.rendering import CompiledVersion, TemplateRenderError
from tests.factories import TemplateVersionFactory


def _compile(**fields):
    return CompiledVersion.compile(TemplateVersionFactory.build(**fields))


def test_render_fills_every_field_with_the_variables():
    compiled = _compile(prompt="Add {{ a }} and {{ b }}.", context_template="Small numbers.")

    rendered = compiled.render({"a": 2, "b": 3})

    assert rendered == {
        "system_prompt": "Answer with the number only.",
        "prompt": "Add 2 and 3.",
        "question": "What is 2 plus 3?",
        "answer": "5",
        "context": "Small numbers.",
    }


def test_render_strips_surrounding_whitespace():
    assert _compile(answer_template="\n  {{ a + b }}  \n").render({"a": 2, "b": 3})["answer"] == "5"


def test_render_does_not_escape_html():
    compiled = _compile(question_template="{{ a }}", answer_template="{{ b }}")

    assert compiled.render({"a": "<b>&</b>", "b": "'quoted'"})["question"] == "<b>&</b>"


def test_a_syntax_error_names_the_field_and_line():
    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(context_template="fine\nstill fine\n{{ a + }}")

    assert (excinfo.value.field, excinfo.value.lineno) == ("context_template", 3)
    assert str(excinfo.value).startswith("context_template, line 3: ")


def test_an_undefined_variable_names_the_field_and_line():
    compiled = _compile(prompt="Line one.\nLine two uses {{ missing }}.")

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render({"a": 1, "b": 2})

    assert str(excinfo.value) == "prompt, line 2: 'missing' is undefined"


def test_an_undefined_attribute_of_a_variable_is_refused():
    compiled = _compile(question_template="{{ a.value }}")

    with pytest.raises(TemplateRenderError, match=r"^question_template, line 1: .*has no attribute 'value'"):
        compiled.render({"a": 1, "b": 2})


def test_an_arithmetic_error_names_the_field_and_line():
    compiled = _compile(answer_template="{{ a }}\n{{ a / b }}")

    with pytest.raises(TemplateRenderError, match=r"^answer_template, line 2: division by zero$"):
        compiled.render({"a": 1, "b": 0})


def test_a_type_error_names_the_field_and_line():
    compiled = _compile(answer_template="{{ a + b }}")

    with pytest.raises(TemplateRenderError, match=r"^answer_template, line 1: "):
        compiled.render({"a": "one", "b": 2})


def test_a_compiled_version_renders_many_records_independently():
    compiled = _compile()

    answers = [compiled.render({"a": index, "b": 1})["answer"] for index in range(3)]

    assert answers == ["1", "2", "3"]
