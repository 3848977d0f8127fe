"""Rendering of user-authored Jinja2 in a bounded sandbox, under the secure profile by default.

See `sandbox` for what a running template may do and build, `profile` for what a template may
contain, `bounds` for the size bounds on intermediate values, and `composition` for how
`{% include %}` and `{% extends %}` find the templates they name.
"""

import traceback
from dataclasses import dataclass

from django.conf import settings
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError

from .bounds import MAX_FORMAT_WIDTH, MAX_POWER_BITS, MAX_SEQUENCE_PRODUCT
from .composition import FIELD_ATTRIBUTES, Composition, CompositionLoader, FieldCompositionErrors
from .profile import ALLOWED_FILTERS, ALLOWED_TESTS, SecureProfile
from .sandbox import BoundedSandbox

__all__ = [
    "ALLOWED_FILTERS",
    "ALLOWED_TESTS",
    "MAX_FORMAT_WIDTH",
    "MAX_POWER_BITS",
    "MAX_SEQUENCE_PRODUCT",
    "RECORD_FIELDS",
    "TEMPLATE_FIELDS",
    "BoundedSandbox",
    "CompiledVersion",
    "Composition",
    "TemplateRenderError",
    "compile_field",
    "compose",
    "make_environment",
]

RECORD_FIELDS = ("question", "answer", "context")
# Rendered field name -> the version's attribute holding its template.
TEMPLATE_FIELDS = FIELD_ATTRIBUTES
_RENDER_ERRORS = (TemplateError, ArithmeticError, TypeError, ValueError, RecursionError, MemoryError)


class TemplateRenderError(Exception):
    def __init__(self, field: str, message: str, lineno: int | None = None):
        self.field = field
        self.lineno = lineno
        where = f"{field}, line {lineno}" if lineno else field
        super().__init__(f"{where}: {message}")


def make_environment() -> BoundedSandbox:
    """A fresh environment with the limits the settings give now."""
    profile = None
    if settings.SYNTHGOV_TEMPLATE_SECURE_PROFILE:
        profile = SecureProfile(
            max_nodes=settings.SYNTHGOV_TEMPLATE_MAX_NODES, max_depth=settings.SYNTHGOV_TEMPLATE_MAX_DEPTH
        )
    return BoundedSandbox(
        profile=profile,
        max_loop_iterations=settings.SYNTHGOV_TEMPLATE_MAX_LOOP_ITERATIONS,
        max_block_chars=settings.SYNTHGOV_MAX_RENDERED_CHARS,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        # Referenced templates are immutable versions, compiled once per composition: never re-checked.
        auto_reload=False,
    )


def compile_field(environment: BoundedSandbox, attribute: str, source: str) -> Template:
    """Compile one field's source; syntax errors and profile refusals name the field and line.

    The template is named after the field, so that a `{% include "key" %}` in it means the same
    field of the other template (see `composition`).
    """
    try:
        code = environment.compile(source, name=attribute)
        return environment.template_class.from_code(environment, code, environment.make_globals(None))
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(attribute, exc.message or str(exc), exc.lineno) from exc
    except RecursionError as exc:
        # Parentheses nest the parser without adding syntax nodes, so the depth bound cannot see them.
        raise TemplateRenderError(attribute, "the template nests too deeply to compile") from exc


def compose(version, environment: BoundedSandbox) -> Composition:
    """Resolve the version's references and serve them to the environment; errors name the root field."""
    # Imported here: resolving reads versions from the database; strings (the samplers' expressions)
    # render through this package without the ORM.
    from templates_app.composition import resolve_references

    try:
        composition = resolve_references(version, environment)
    except FieldCompositionErrors as exc:
        attribute, problem = next(iter(exc.problems.items()))
        raise TemplateRenderError(attribute, str(problem), problem.lineno) from exc
    environment.loader = CompositionLoader(composition.versions)
    for name, (attribute, lineno) in composition.reached.items():
        try:
            environment.get_template(name)
        except TemplateSyntaxError as exc:
            raise TemplateRenderError(attribute, f"in '{name}', line {exc.lineno}: {exc.message}", lineno) from exc
        except RecursionError as exc:
            raise TemplateRenderError(attribute, f"'{name}' nests too deeply to compile", lineno) from exc
    return composition


def _error_location(exc: BaseException) -> tuple[int | None, str]:
    """The root field's line an error happened on, and where inside a referenced template, if there."""
    lineno, inner = None, ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            lineno, inner = frame.lineno, ""
        elif frame.filename and ":" in frame.filename and not frame.filename.endswith(".py"):
            inner = f"in '{frame.filename}', line {frame.lineno}: "
    return lineno, inner


def _render_within(template: Template, variables: dict, limit: int) -> tuple[str, str | None]:
    """The rendered text, or what was rendered and why rendering stopped at the output limit."""
    chunks, size = [], 0
    stream = template.generate(variables)
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            # The stream is read no further than one more piece, to tell an exact size from a lower bound.
            try:
                finished = next(stream, None) is None
            except _RENDER_ERRORS:
                finished = False
            stream.close()
            measure = f"{size}" if finished else f"more than {size}"
            return "", f"output is {measure} characters, the limit is {limit}"
    return "".join(chunks), None


@dataclass
class CompiledVersion:
    """A version's templates compiled once, rendered many times."""

    templates: dict
    composition: Composition

    @classmethod
    def compile(cls, version) -> "CompiledVersion":
        """Compile every field and everything it references: the versions pinned at publish, or for
        a draft the current approved ones. Nothing is looked up or compiled again while rendering."""
        environment = make_environment()
        templates = {
            field: compile_field(environment, attribute, getattr(version, attribute))
            for field, attribute in TEMPLATE_FIELDS.items()
        }
        return cls(templates=templates, composition=compose(version, environment))

    def render(self, variables: dict, fields=None) -> dict:
        """Render the given fields (all by default) with the variables."""
        limit = settings.SYNTHGOV_MAX_RENDERED_CHARS
        rendered = {}
        for field in fields or self.templates:
            attribute = TEMPLATE_FIELDS[field]
            try:
                text, too_long = _render_within(self.templates[field], variables, limit)
            except _RENDER_ERRORS as exc:
                lineno, inner = _error_location(exc)
                raise TemplateRenderError(attribute, f"{inner}{exc}", lineno) from exc
            if too_long:
                raise TemplateRenderError(attribute, too_long)
            rendered[field] = text.strip()
        return rendered
