"""User-authored Jinja2 cannot reach Python internals: escape payloads are refused, never run."""

import pytest
from jinja2 import TemplateAssertionError, UndefinedError
from jinja2.sandbox import SecurityError

from templates_app.rendering import CompiledVersion, TemplateRenderError, make_environment
from tests.factories import TemplateVersionFactory

# Payloads from published server-side template injection write-ups, and what stops each.
ATTRIBUTE_ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__bases__[0] }}",
    "{{ [].__class__ }}",
    "{{ {}.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self.__dict__ }}",
    "{{ ''.format.__globals__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{{ dict.mro() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]
# Globals of other template engines (Flask's `config`, `request`) simply do not exist here.
# `lipsum` is removed from the globals (it builds text of any size), so its escapes fail the same way.
UNDEFINED_NAMES = [
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request }}",
    "{{ request.application }}",
    "{{ os }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
]


def _version(**fields):
    return TemplateVersionFactory.build(**fields)


@pytest.fixture(params=[True, False], ids=["secure-profile", "sandbox-only"])
def secure_profile(request, settings):
    """Run a test with the secure profile and with the sandbox alone: each must refuse every escape."""
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = request.param
    return request.param


@pytest.fixture
def sandbox_only(settings):
    settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE = False


@pytest.mark.parametrize("payload", ATTRIBUTE_ESCAPES)
def test_the_sandbox_refuses_access_to_python_internals(payload, sandbox_only):
    with pytest.raises(SecurityError):
        make_environment().from_string(payload).render()


def test_the_secure_profile_refuses_the_attr_filter_before_rendering():
    with pytest.raises(TemplateAssertionError, match="the filter 'attr' is not allowed in templates"):
        make_environment().from_string("{{ ''|attr('__class__') }}")


@pytest.mark.parametrize("payload", UNDEFINED_NAMES)
def test_names_that_are_not_variables_are_undefined_and_refused(payload, secure_profile):
    with pytest.raises(UndefinedError):
        make_environment().from_string(payload).render()


@pytest.mark.parametrize("payload", ATTRIBUTE_ESCAPES + UNDEFINED_NAMES)
def test_a_version_with_an_escape_payload_fails_with_a_template_render_error(payload, secure_profile):
    # Under the profile, `attr` is refused when the version compiles; everything else when it renders.
    with pytest.raises(TemplateRenderError) as excinfo:
        CompiledVersion.compile(_version(question_template=payload)).render({"a": 1, "b": 2})

    assert isinstance(excinfo.value.__cause__, (SecurityError, UndefinedError, TemplateAssertionError))
    assert excinfo.value.field == "question_template"


@pytest.mark.parametrize(
    "payload",
    [
        "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
        "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}",
        "{{ self.__init__.__globals__.__builtins__.open('{marker}', 'w').write('x') }}",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
        "{% if c.__name__ == 'Popen' %}{{ c(['touch', '{marker}']) }}{% endif %}{% endfor %}",
    ],
)
def test_an_escape_payload_is_never_executed(payload, tmp_path, secure_profile):
    marker = tmp_path / "escaped"
    compiled = CompiledVersion.compile(_version(answer_template=payload.replace("{marker}", str(marker))))

    with pytest.raises(TemplateRenderError):
        compiled.render({"a": 1, "b": 2})

    assert not marker.exists()


def test_private_methods_of_a_variable_are_never_called():
    calls = []

    class Record:
        value = 3

        def _wipe(self):
            calls.append("wiped")

    compiled = CompiledVersion.compile(_version(question_template="{{ record._wipe() }}"))

    with pytest.raises(TemplateRenderError, match="unsafe"):
        compiled.render({"record": Record()})

    assert calls == []


def test_public_attributes_of_a_variable_render_normally():
    class Record:
        value = 3

    compiled = CompiledVersion.compile(_version(question_template="{{ record.value }}"))

    assert compiled.render({"record": Record(), "a": 1, "b": 2})["question"] == "3"
