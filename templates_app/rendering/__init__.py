"""Rendering of user-authored Jinja2 in a bounded sandbox, under the secure profile by default.

See `sandbox` for what a running template may do and build, `profile` for what a template may
contain, and `bounds` for the size bounds on intermediate values.
"""

import traceback
from dataclasses import dataclass

from django.conf import settings
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError

from .bounds import MAX_FORMAT_WIDTH, MAX_POWER_BITS, MAX_SEQUENCE_PRODUCT
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
    "TemplateRenderError",
    "compile_field",
    "make_environment",
]

RECORD_FIELDS = ("question", "answer", "context")
TEMPLATE_FIELDS = {
    "system_prompt": "system_prompt",
    "prompt": "prompt",
    "question": "question_template",
    "answer": "answer_template",
    "context": "context_template",
}
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
    )


def compile_field(environment: BoundedSandbox, attribute: str, source: str) -> Template:
    """Compile one field's source; syntax errors and profile refusals name the field and line."""
    try:
        return environment.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(attribute, exc.message or str(exc), exc.lineno) from exc
    except RecursionError as exc:
        # Parentheses nest the parser without adding syntax nodes, so the depth bound cannot see them.
        raise TemplateRenderError(attribute, "the template nests too deeply to compile") from exc


def _template_lineno(exc: BaseException) -> int | None:
    lineno = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            lineno = frame.lineno
    return lineno


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

    @classmethod
    def compile(cls, version) -> "CompiledVersion":
        environment = make_environment()
        templates = {
            field: compile_field(environment, attribute, getattr(version, attribute))
            for field, attribute in TEMPLATE_FIELDS.items()
        }
        return cls(templates=templates)

    def render(self, variables: dict, fields=None) -> dict:
        """Render the given fields (all by default) with the variables."""
        limit = settings.SYNTHGOV_MAX_RENDERED_CHARS
        rendered = {}
        for field in fields or self.templates:
            attribute = TEMPLATE_FIELDS[field]
            try:
                text, too_long = _render_within(self.templates[field], variables, limit)
            except _RENDER_ERRORS as exc:
                raise TemplateRenderError(attribute, str(exc), _template_lineno(exc)) from exc
            if too_long:
                raise TemplateRenderError(attribute, too_long)
            rendered[field] = text.strip()
        return rendered
