"""The sandbox bounds resource use: repetition, powers, intermediate values and output size are capped."""

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
    # About 79,000 characters: within the bound on one value, beyond the 64 KiB output limit.
    with pytest.raises(TemplateRenderError, match=r"^question_template: output is \d+ characters, the limit is"):
        _render_question("{{ range(15000)|join(',') }}")


def test_output_is_capped_while_it_streams_not_after_it_is_built():
    # 10,000 iterations of 100,000 characters would be a gigabyte; reading stops at the limit.
    with pytest.raises(TemplateRenderError) as excinfo:
        _render_question("{% for i in range(10000) %}{{ 'a' * 100000 }}{% endfor %}")

    assert str(excinfo.value) == "question_template: output is more than 100000 characters, the limit is 65536"


def test_a_recursive_macro_is_refused_with_the_field_name(settings):
    # Macros exist only without the secure profile (which refuses them when compiling).
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = False
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


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(
            "{% set ns = namespace(s='a' * 50000) %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{{ ns.s|length }}",
            id="concatenation-doubling",
        ),
        pytest.param("{{ ('{:>400000}'.format(1))[:1] }}", id="str-format-width"),
        pytest.param("{{ '{:.400000f}'.format(1.0)|length }}", id="str-format-precision"),
        pytest.param("{{ '{:>{w}}'.format(1, w=400000)|length }}", id="str-format-nested-width"),
        pytest.param("{{ ('{0}' * 1000).format('a' * 1000)|length }}", id="str-format-repeated-field"),
        pytest.param("{{ ('%(a)s' * 1000) % {'a': 'a' * 1000} }}", id="percent-format-repeated-key"),
        pytest.param("{{ ('%(a)s' * 1000)|format(a='a' * 1000) }}", id="format-filter"),
        pytest.param("{{ 'x'.ljust(400000)|length }}", id="str-ljust"),
        pytest.param("{{ '1'.zfill(400000)|length }}", id="str-zfill"),
        pytest.param("{{ ('a' * 50000).replace('a', 'aaa')|length }}", id="str-replace"),
        pytest.param("{{ ('a' * 50000)|replace('a', 'aaa')|length }}", id="replace-filter"),
        pytest.param("{% set s = 'a' * 50000 %}{{ ','.join([s, s, s])|length }}", id="str-join"),
        pytest.param("{% set s = 'a' * 50000 %}{{ [s, s, s]|join|length }}", id="join-filter"),
        pytest.param("{{ ('\t' * 1000).expandtabs(1000)|length }}", id="str-expandtabs"),
        pytest.param("{{ ('a\n' * 10000)|indent(100)|length }}", id="indent-filter"),
        pytest.param("{% set l = [0] * 10000 %}{{ ([l] * 100)|length }}", id="list-of-a-list-repeated"),
        pytest.param(
            "{% set ns = namespace(x=[1]) %}{% for i in range(30) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}"
            "{{ ns.x }}",
            id="nested-list-printed",
        ),
        pytest.param(
            "{% set ns = namespace(x=[1]) %}{% for i in range(30) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}"
            "{{ ns.x|string|length }}",
            id="nested-list-stringified",
        ),
        pytest.param(
            "{% set ns = namespace(x=[1], y=[1]) %}{% for i in range(40) %}{% set ns.x = [ns.x, ns.x] %}"
            "{% set ns.y = [ns.y, ns.y] %}{% endfor %}{{ ns.x == ns.y }}",
            id="nested-lists-compared",
        ),
        pytest.param(
            "{% set ns = namespace(x=1) %}{% for i in range(40) %}{% set ns.x = dict(a=ns.x, b=ns.x) %}{% endfor %}",
            id="nested-dict-call",
        ),
        pytest.param("{% set s = 'a' * 40000 %}{{ [s, s, s]|map('upper')|list|length }}", id="map-copies"),
        pytest.param("{{ [[1], [2]]|sum(start=[])|length }}", id="sum-of-lists"),
        pytest.param("{{ [[[1]]]|tojson(indent=100000)|length }}", id="tojson-indent"),
        pytest.param("{{ ([1]|batch(10**9, 0)|list)|length }}", id="batch-padding"),
        pytest.param(
            "{% set x %}{% for i in range(100) %}{{ 'y' * 1000 }}{% endfor %}{% endset %}{{ x|length }}",
            id="set-block",
        ),
    ],
)
def test_a_large_intermediate_value_is_refused_before_it_is_built(payload):
    with pytest.raises(TemplateRenderError) as excinfo:
        _render_question(payload)

    assert isinstance(excinfo.value.__cause__, SecurityError)
    assert excinfo.value.field == "question_template"


def test_concatenation_up_to_the_bound_is_allowed():
    payload = "{% set s = 'a' * HALF %}{{ (s ~ s)|length }}".replace("HALF", str(MAX_SEQUENCE_PRODUCT // 2))

    assert _render_question(payload)["question"] == str(MAX_SEQUENCE_PRODUCT)


def test_format_within_the_bounds_is_allowed():
    assert _render_question("{{ '{:>8.2f}|{:<4}|{}'.format(3.14159, 'ab', a) }}")["question"] == "3.14|ab  |1"
