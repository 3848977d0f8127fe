"""The secure profile: whitelisted filters and tests, no composition or macros, a bounded syntax tree,
read-only containers; and the loop bound, which holds with or without the profile."""

import pytest
from django.urls import reverse
from jinja2 import TemplateRuntimeError
from jinja2.sandbox import SecurityError

from synthgov.errors import InvalidInput
from templates_app.models import TemplateVersion
from templates_app.rendering import ALLOWED_FILTERS, ALLOWED_TESTS, CompiledVersion, TemplateRenderError
from templates_app.rendering.profile import TOO_DEEP, TOO_MANY_NODES
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

VARIABLES = {
    "a": 1,
    "b": 2,
    "n": -3,
    "x": 2.5,
    "word": "hello",
    "text": "  two words  ",
    "items": [3, 1, 2, 1],
    "people": [{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}],
    "mapping": {"b": 2, "a": 1},
}

# One small example per whitelisted filter: (filter, template, rendered text).
FILTER_EXAMPLES = [
    ("abs", "{{ n|abs }}", "3"),
    ("batch", "{{ items|batch(3)|list }}", "[[3, 1, 2], [1]]"),
    ("capitalize", "{{ word|capitalize }}", "Hello"),
    ("center", "[{{ word|center(9) }}]", "[  hello  ]"),
    ("count", "{{ items|count }}", "4"),
    ("d", "{{ missing|d('none') }}", "none"),
    ("default", "{{ missing|default(7) }}", "7"),
    ("dictsort", "{{ mapping|dictsort }}", "[('a', 1), ('b', 2)]"),
    ("first", "{{ items|first }}", "3"),
    ("float", "{{ '2.5'|float + 1 }}", "3.5"),
    ("format", "{{ '%s is %d'|format(word, 4) }}", "hello is 4"),
    (
        "groupby",
        "{% for age, group in people|groupby('age') %}{{ age }}:{{ group|map(attribute='name')|join }};{% endfor %}",
        "36:Ada;41:Alan;",
    ),
    ("indent", "{{ 'a\nb'|indent(2) }}", "a\n  b"),
    ("int", "{{ '42'|int + 1 }}", "43"),
    ("items", "{% for key, value in mapping|items %}{{ key }}={{ value }};{% endfor %}", "b=2;a=1;"),
    ("join", "{{ items|join('-') }}", "3-1-2-1"),
    ("last", "{{ items|last }}", "1"),
    ("length", "{{ word|length }}", "5"),
    ("list", "{{ word|list }}", "['h', 'e', 'l', 'l', 'o']"),
    ("lower", "{{ 'HeLLo'|lower }}", "hello"),
    ("map", "{{ people|map(attribute='name')|join(', ') }}", "Ada, Alan"),
    ("max", "{{ items|max }}", "3"),
    ("min", "{{ items|min }}", "1"),
    ("reject", "{{ items|reject('odd')|list }}", "[2]"),
    ("rejectattr", "{{ people|rejectattr('age', 'gt', 40)|map(attribute='name')|join }}", "Ada"),
    ("replace", "{{ word|replace('l', 'L') }}", "heLLo"),
    ("reverse", "{{ word|reverse }}", "olleh"),
    ("round", "{{ 2.567|round(2) }}", "2.57"),
    ("select", "{{ items|select('odd')|list }}", "[3, 1, 1]"),
    ("selectattr", "{{ people|selectattr('age', 'gt', 40)|map(attribute='name')|join }}", "Alan"),
    ("sort", "{{ items|sort|join }}", "1123"),
    ("string", "{{ items|string }}", "[3, 1, 2, 1]"),
    ("sum", "{{ items|sum }}", "7"),
    ("title", "{{ 'two words'|title }}", "Two Words"),
    ("tojson", "{{ mapping|tojson }}", '{"a": 1, "b": 2}'),
    ("trim", "[{{ text|trim }}]", "[two words]"),
    ("truncate", "{{ 'one two three four'|truncate(9, leeway=0) }}", "one..."),
    ("unique", "{{ items|unique|list }}", "[3, 1, 2]"),
    ("upper", "{{ word|upper }}", "HELLO"),
    ("wordcount", "{{ text|wordcount }}", "2"),
]

# One small example per whitelisted test; the comparison tests are used by name through select.
TEST_EXAMPLES = [
    ("boolean", "{{ true is boolean }}", "True"),
    ("defined", "{{ word is defined }}", "True"),
    ("divisibleby", "{{ 9 is divisibleby 3 }}", "True"),
    ("even", "{{ 4 is even }}", "True"),
    ("false", "{{ false is false }}", "True"),
    ("float", "{{ x is float }}", "True"),
    ("in", "{{ 2 is in items }}", "True"),
    ("integer", "{{ 3 is integer }}", "True"),
    ("iterable", "{{ items is iterable }}", "True"),
    ("lower", "{{ word is lower }}", "True"),
    ("mapping", "{{ mapping is mapping }}", "True"),
    ("none", "{{ none is none }}", "True"),
    ("number", "{{ x is number }}", "True"),
    ("odd", "{{ 3 is odd }}", "True"),
    ("sameas", "{{ none is sameas none }}", "True"),
    ("sequence", "{{ items is sequence }}", "True"),
    ("string", "{{ word is string }}", "True"),
    ("true", "{{ true is true }}", "True"),
    ("undefined", "{{ missing is undefined }}", "True"),
    ("upper", "{{ 'AB' is upper }}", "True"),
    *[(name, f"{{{{ items|select('{name}', 1)|list }}}}", "[1, 1]") for name in ("==", "eq", "equalto")],
    *[(name, f"{{{{ items|select('{name}', 1)|list }}}}", "[3, 2]") for name in ("!=", "ne")],
    *[(name, f"{{{{ items|select('{name}', 2)|list }}}}", "[1, 1]") for name in ("<", "lt", "lessthan")],
    *[(name, f"{{{{ items|select('{name}', 2)|list }}}}", "[1, 2, 1]") for name in ("<=", "le")],
    *[(name, f"{{{{ items|select('{name}', 2)|list }}}}", "[3]") for name in (">", "gt", "greaterthan")],
    *[(name, f"{{{{ items|select('{name}', 2)|list }}}}", "[3, 2]") for name in (">=", "ge")],
]


def _compile(**fields):
    return CompiledVersion.compile(TemplateVersionFactory.build(**fields))


def _question(source, variables=VARIABLES):
    """The question field rendered, without the stripping a record gets, so spacing shows."""
    return _compile(question_template=source).templates["question"].render(variables)


@pytest.fixture
def without_profile(settings):
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = False


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        pytest.param("{% import 'helpers' as helpers %}", "{% import %}", id="import"),
        pytest.param("{% from 'helpers' import greet %}", "{% from ... import %}", id="from-import"),
    ],
)
def test_imports_are_refused_as_there_are_no_macros_to_import(source, tag):
    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(question_template=f"Line one.\nLine two.\n{source}")

    assert str(excinfo.value) == f"question_template, line 3: {tag} is not allowed in templates"
    assert (excinfo.value.field, excinfo.value.lineno) == ("question_template", 3)


@pytest.mark.parametrize(
    ("source", "tag"),
    [
        pytest.param("{% macro greet(name) %}Hi {{ name }}{% endmacro %}{{ greet('x') }}", "{% macro %}", id="macro"),
        pytest.param("{% call greet() %}text{% endcall %}", "{% call %}", id="call"),
    ],
)
def test_macros_and_call_blocks_are_refused(source, tag):
    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(answer_template=f"{{{{ a }}}}\n{source}")

    assert str(excinfo.value) == f"answer_template, line 2: {tag} is not allowed in templates"


def test_set_and_for_are_allowed():
    source = (
        "{% set offset = 1 %}{% set label %}n{% endset %}{% for i in range(3) %}{{ label }}{{ i + offset }}{% endfor %}"
    )

    assert _question(source) == "n1n2n3"


@pytest.mark.parametrize("name", ["attr", "pprint", "random", "urlize", "xmlattr", "wordwrap", "safe", "e"])
def test_a_filter_outside_the_whitelist_is_refused_with_field_and_line(name):
    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(context_template=f"Context.\n{{{{ word|{name} }}}}")

    assert str(excinfo.value) == f"context_template, line 2: the filter '{name}' is not allowed in templates"


@pytest.mark.parametrize("name", ["callable", "escaped", "filter", "test"])
def test_a_test_outside_the_whitelist_is_refused_with_field_and_line(name):
    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(question_template=f"{{% if word is {name} %}}yes{{% endif %}}\n")

    assert str(excinfo.value) == f"question_template, line 1: the test '{name}' is not allowed in templates"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ items|map('pprint')|list }}", id="filter-by-name"),
        pytest.param("{{ items|select('callable')|list }}", id="test-by-name"),
    ],
)
def test_a_filter_or_test_named_at_run_time_must_be_whitelisted_too(source):
    compiled = _compile(question_template=source)

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render(VARIABLES)

    assert isinstance(excinfo.value.__cause__, TemplateRuntimeError)


@pytest.mark.parametrize(("name", "source", "expected"), FILTER_EXAMPLES, ids=[name for name, *_ in FILTER_EXAMPLES])
def test_a_whitelisted_filter_works(name, source, expected):
    assert _question(source) == expected


def test_the_filter_examples_cover_the_whole_whitelist():
    assert {name for name, *_ in FILTER_EXAMPLES} == ALLOWED_FILTERS


@pytest.mark.parametrize(("name", "source", "expected"), TEST_EXAMPLES, ids=[name for name, *_ in TEST_EXAMPLES])
def test_a_whitelisted_test_works(name, source, expected):
    assert _question(source) == expected


def test_the_test_examples_cover_the_whole_whitelist():
    assert {name for name, *_ in TEST_EXAMPLES} == ALLOWED_TESTS


def test_a_template_with_more_syntax_nodes_than_the_bound_is_refused_at_the_line_that_passes_it(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_NODES = 10
    # Template and Output, then three nodes a line (a, b and the newline): the eleventh is on line 3.
    source = "{{ a }}{{ b }}\n" * 4

    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(question_template=source)

    assert str(excinfo.value) == "question_template, line 3: " + TOO_MANY_NODES.format(limit=10)


def test_a_template_within_the_node_bound_compiles(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_NODES = 10

    assert _question("{{ a }}{{ b }}\n" * 2) == "12\n12"


def test_a_template_nested_deeper_than_the_bound_is_refused_with_the_line(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_DEPTH = 5
    # Template, Output, then one level per addition: `c` sits at depth 6.
    source = "Fine.\n{{ a + (b + (c + 1)) }}"

    with pytest.raises(TemplateRenderError) as excinfo:
        _compile(question_template=source)

    assert str(excinfo.value) == "question_template, line 2: " + TOO_DEEP.format(limit=5)


def test_a_template_within_the_depth_bound_compiles(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_DEPTH = 5

    assert _question("{{ a + (b + 1) }}") == "4"


def test_parentheses_nested_too_deeply_for_the_parser_are_refused_with_the_field():
    source = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"

    with pytest.raises(TemplateRenderError, match=r"^prompt: the template nests too deeply to compile$"):
        _compile(prompt=source)


def test_loop_iterations_up_to_the_bound_are_allowed(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100

    assert _question("{% for i in range(100) %}.{% endfor %}") == "." * 100


def test_nested_loops_are_bounded_by_their_total_iterations(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100
    compiled = _compile(
        question_template="Loops:\n{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}"
    )

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render(VARIABLES)

    assert str(excinfo.value) == "question_template, line 2: more than 100 loop iterations are not allowed"
    assert isinstance(excinfo.value.__cause__, SecurityError)


def test_consecutive_loops_share_the_bound_of_one_render(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100
    compiled = _compile(question_template="{% for i in range(60) %}{% endfor %}{% for i in range(60) %}{% endfor %}")

    with pytest.raises(TemplateRenderError, match="more than 100 loop iterations"):
        compiled.render(VARIABLES)


def test_each_render_has_its_own_loop_bound(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100
    compiled = _compile(question_template="{% for i in range(60) %}{% endfor %}done")

    assert [compiled.render(VARIABLES)["question"] for _ in range(3)] == ["done"] * 3


def test_a_recursive_loop_counts_the_iterations_of_its_re_entries(settings):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100
    # Four items, each re-entering with the four items: 4 + 16 + 64 + ... iterations.
    compiled = _compile(question_template="{% for i in items recursive %}{{ loop(items) }}{% endfor %}")

    with pytest.raises(TemplateRenderError, match="more than 100 loop iterations"):
        compiled.render(VARIABLES)


def test_the_loop_bound_holds_without_the_secure_profile(settings, without_profile):
    settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS = 100
    compiled = _compile(question_template="{% for i in range(101) %}{% endfor %}")

    with pytest.raises(TemplateRenderError, match="more than 100 loop iterations"):
        compiled.render(VARIABLES)


def test_the_secure_profile_keeps_lists_and_dicts_read_only():
    variables = {**VARIABLES, "items": [3, 1, 2, 1], "mapping": {"b": 2, "a": 1}}
    compiled = _compile(question_template="{{ items.append(4) }}{{ mapping.update(c=3) }}")

    with pytest.raises(TemplateRenderError, match="'append' of 'list' object is unsafe"):
        compiled.render(variables)

    assert (variables["items"], variables["mapping"]) == ([3, 1, 2, 1], {"b": 2, "a": 1})


def test_without_the_secure_profile_every_jinja_filter_test_and_macro_is_available(without_profile):
    source = "{% macro pair(x) %}({{ x }}){% endmacro %}{{ pair(word|wordwrap(3)) }} {{ pair is callable }}"

    assert _question(source) == "(hel\nlo) True"


def test_without_the_secure_profile_the_sandbox_still_refuses_internals(without_profile):
    compiled = _compile(question_template="{{ ''|attr('__class__') }}")

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render(VARIABLES)

    assert isinstance(excinfo.value.__cause__, SecurityError)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ 'a' * 10**8 }}", id="repetition"),
        pytest.param(
            "{% set ns = namespace(s='a' * 50000) %}{% for i in range(3) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            id="concatenation-doubling",
        ),
        pytest.param("{{ ('{:>400000}'.format(1))[:1] }}", id="str-format-width"),
        pytest.param(
            "{% set ns = namespace(l=[1]) %}{% for i in range(20) %}{{ ns.l.extend(ns.l) }}{% endfor %}",
            id="list-growth",
        ),
    ],
)
def test_without_the_secure_profile_sizes_are_still_bounded(without_profile, source):
    compiled = _compile(question_template=source)

    with pytest.raises(TemplateRenderError) as excinfo:
        compiled.render(VARIABLES)

    assert isinstance(excinfo.value.__cause__, SecurityError)


def test_publish_reports_a_refused_construct_with_field_and_line(draft_with, approver, stored_row):
    draft = draft_with(question_template="What is {{ a }} plus {{ b }}?\n{% import 'footer' as footer %}")
    before = stored_row(draft)

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=draft, acting_user=approver)

    assert excinfo.value.message == (
        "Cannot publish: question_template, line 2: {% import %} is not allowed in templates"
    )
    assert stored_row(draft) == before


def test_publish_reports_every_field_that_fails_to_compile(draft_with, approver):
    draft = draft_with(question_template="{{ a|pprint }}", answer_template="{% macro m() %}{% endmacro %}")

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=draft, acting_user=approver)

    assert excinfo.value.message == (
        "Cannot publish: question_template, line 1: the filter 'pprint' is not allowed in templates; "
        "answer_template, line 1: {% macro %} is not allowed in templates"
    )


def test_the_admin_form_refuses_a_draft_the_profile_refuses(client, author, approved_version):
    client.force_login(author)
    form = {
        "template": approved_version.template.pk,
        "question_template": "Q {{ a }}\n{{ a|attr('real') }}",
        "answer_template": "{{ a + }}",
        "variables": '{"a": {"sampler": "int_range", "min": 1, "max": 5}}',
        "output_schema": "{}",
        "exemplars": "[]",
    }

    response = client.post(reverse("admin:templates_app_templateversion_add"), form)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert "question_template, line 2: the filter 'attr' is not allowed in templates" in errors
    assert "answer_template, line 1: unexpected 'end of print statement'" in errors
    assert TemplateVersion.objects.count() == 1
