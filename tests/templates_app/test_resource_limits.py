"""The sandbox bounds resource use: repetition, powers and output size are capped."""

import pytest
from jinja2.sandbox import SecurityError

from templates_app.rendering import MAX_POWER_BITS, MAX_SEQUENCE_PRODUCT, CompiledVersion, TemplateRenderError
from tests.factories import TemplateVersionFactory

SUM_VARIABLES = {"a": 1, "b": 2}


def _render_question(question_template, variables=SUM_VARIABLES):
    compiled = CompiledVersion.compile(TemplateVersionFactory.build(question_template=question_template))
    return compiled.render(variables)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ 'a' * 10**8 }}",
        "{{ 10**8 * 'a' }}",
        "{{ [1] * 10**7 }}",
        "{{ (1, 2) * 10**7 }}",
        "{{ 'a' * 1000 * 1000 }}",
        "{{ ('a' ~ 'b') * 10**6 }}",
        "{{ 9**(9**9) }}",
        "{{ 2**(MAX + 1) }}".replace("MAX", str(MAX_POWER_BITS)),
        "{{ 2.0 ** 10000 }}",
        "{{ (-3) ** (10**6) }}",
    ],
)
def test_a_resource_bomb_is_refused_by_the_sandbox_before_it_runs(payload):
    with pytest.raises(TemplateRenderError) as excinfo:
        _render_question(payload)

    assert isinstance(excinfo.value.__cause__, SecurityError)
    assert excinfo.value.field == "question_template"
    assert excinfo.value.lineno == 1


def test_range_is_capped_by_the_sandbox():
    with pytest.raises(TemplateRenderError, match="Range too big"):
        _render_question("{{ range(10**9)|list }}")


def test_nine_to_the_nine_to_the_nine_is_left_associative_in_jinja_and_harmless():
    # Jinja parses `**` left to right: (9**9)**9 == 9**81, a 78-digit number, not 9**(9**9).
    assert _render_question("{{ 9**9**9 }}")["question"] == str(9**81)


def test_repetition_up_to_the_bound_is_allowed():
    rendered = _render_question("{{ 'a' * MAX }}".replace("MAX", str(MAX_SEQUENCE_PRODUCT // 2)))

    assert rendered["question"] == "a" * (MAX_SEQUENCE_PRODUCT // 2)


def test_ordinary_arithmetic_is_not_intercepted():
    assert _render_question("{{ a * b }} {{ a ** 10 }} {{ 2 * 'ab' }}", {"a": 3, "b": 4})["question"] == "12 59049 abab"


def test_output_above_the_limit_is_refused_with_the_field_name(settings):
    settings.SYNTHGOV_MAX_RENDERED_CHARS = 100
    compiled = CompiledVersion.compile(TemplateVersionFactory.build(context_template="{{ 'x' * 101 }}"))

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render(SUM_VARIABLES)

    assert str(excinfo.value) == "context_template: output is 101 characters, the limit is 100"
    assert excinfo.value.field == "context_template"


def test_output_at_the_limit_is_allowed(settings):
    settings.SYNTHGOV_MAX_RENDERED_CHARS = 100
    compiled = CompiledVersion.compile(TemplateVersionFactory.build(context_template="{{ 'x' * 100 }}"))

    assert compiled.render(SUM_VARIABLES)["context"] == "x" * 100


def test_output_built_without_repetition_is_still_capped():
    with pytest.raises(TemplateRenderError, match=r"^question_template: output is \d+ characters, the limit is"):
        _render_question("{{ range(100000)|join(',') }}")


def test_a_recursive_macro_is_refused_with_the_field_name():
    with pytest.raises(TemplateRenderError) as excinfo:
        _render_question("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")

    assert excinfo.value.field == "question_template"


def test_a_product_of_numbers_beyond_the_power_bound_is_refused():
    with pytest.raises(TemplateRenderError) as excinfo:
        _render_question("{% set x = 2**4000 %}{{ (x * x * x) > 0 }}")

    assert isinstance(excinfo.value.__cause__, SecurityError)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            "{% set ns = namespace(l=[0] * 50000) %}{% for i in range(3) %}{% set ns.l = ns.l + ns.l %}"
            "{% endfor %}{{ ns.l|length }}",
            id="list-addition-doubling",
        ),
        pytest.param("{{ ('%0400000d' % 1)[:1] }}", id="percent-format-width"),
        pytest.param("{{ ('x'|center(400000))|length }}", id="center-filter"),
        pytest.param("{{ lipsum(1000)|length }}", id="lipsum-global"),
    ],
)
def test_a_value_far_beyond_the_output_limit_is_refused_even_when_little_is_printed(payload):
    with pytest.raises(TemplateRenderError):
        _render_question(payload)


@pytest.mark.xfail(
    strict=True,
    reason="Known gap, left for the secure template profile (issue 4): `~` concatenation and str.format "
    "widths build large intermediate values that the output limit, checked on the final text, never sees.",
)
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            "{% set ns = namespace(s='a' * 50000) %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{{ ns.s|length }}",
            id="concatenation-doubling",
        ),
        pytest.param("{{ ('{:>400000}'.format(1))[:1] }}", id="str-format-width"),
    ],
)
def test_a_large_intermediate_value_built_by_concatenation_or_format_is_refused(payload):
    with pytest.raises(TemplateRenderError):
        _render_question(payload)
