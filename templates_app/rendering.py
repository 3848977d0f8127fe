"""Rendering of user-authored Jinja2 in a bounded sandbox.

The stock sandbox blocks access to Python internals but not resource use (`'a' * 10**8`
renders 100 MB), so multiplication and powers are intercepted and every field's output is
capped in size.
"""

import math
import re
import traceback
from dataclasses import dataclass

from django.conf import settings
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

RECORD_FIELDS = ("question", "answer", "context")
TEMPLATE_FIELDS = {
    "system_prompt": "system_prompt",
    "prompt": "prompt",
    "question": "question_template",
    "answer": "answer_template",
    "context": "context_template",
}
MAX_SEQUENCE_PRODUCT = 100_000
MAX_POWER_BITS = 4096
MAX_FORMAT_WIDTH = 10_000
_PERCENT_FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\d+)")


class TemplateRenderError(Exception):
    def __init__(self, field: str, message: str, lineno: int | None = None):
        self.field = field
        self.lineno = lineno
        where = f"{field}, line {lineno}" if lineno else field
        super().__init__(f"{where}: {message}")


class BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options):
        super().__init__(**options)
        # lipsum builds text of any size on request; templates have no use for it.
        self.globals.pop("lipsum", None)
        self.filters["center"] = _bounded_center

    def call_binop(self, context, operator, left, right):
        if operator == "**" and _is_number(left) and _is_number(right):
            magnitude = math.log2(abs(left)) if abs(left) > 1 else 0
            if magnitude * abs(right) > MAX_POWER_BITS:
                raise SecurityError(f"the power {left} ** {right} is too large")
        if operator == "*":
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
                raise SecurityError("the product is too large")
            for sequence, count in ((left, right), (right, left)):
                repeats_sequence = isinstance(sequence, (str, list, tuple)) and isinstance(count, int)
                if repeats_sequence and len(sequence) * count > MAX_SEQUENCE_PRODUCT:
                    raise SecurityError("repeating a sequence that many times is not allowed")
        if operator == "+" and _is_sized(left) and _is_sized(right) and len(left) + len(right) > MAX_SEQUENCE_PRODUCT:
            raise SecurityError("joining sequences that long is not allowed")
        if operator == "%" and isinstance(left, str):
            widths = [int(width) for width in _PERCENT_FORMAT_WIDTH.findall(left)]
            if widths and max(widths) > MAX_FORMAT_WIDTH:
                raise SecurityError(f"a format width above {MAX_FORMAT_WIDTH} is not allowed")
        return super().call_binop(context, operator, left, right)


def _bounded_center(value, width: int = 80) -> str:
    if width > MAX_FORMAT_WIDTH:
        raise SecurityError(f"center() wider than {MAX_FORMAT_WIDTH} is not allowed")
    return str(value).center(width)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_sized(value) -> bool:
    return isinstance(value, (str, list, tuple))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def make_environment() -> BoundedSandbox:
    return BoundedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def _template_lineno(exc: BaseException) -> int | None:
    lineno = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            lineno = frame.lineno
    return lineno


@dataclass
class CompiledVersion:
    """A version's templates compiled once, rendered many times."""

    templates: dict

    @classmethod
    def compile(cls, version) -> "CompiledVersion":
        environment = make_environment()
        templates = {}
        for field, attribute in TEMPLATE_FIELDS.items():
            source = getattr(version, attribute)
            try:
                templates[field] = environment.from_string(source)
            except TemplateSyntaxError as exc:
                raise TemplateRenderError(attribute, exc.message or str(exc), exc.lineno) from exc
        return cls(templates=templates)

    def render(self, variables: dict, fields=None) -> dict:
        """Render the given fields (all by default) with the variables."""
        limit = settings.SYNTHGOV_MAX_RENDERED_CHARS
        rendered = {}
        for field in fields or self.templates:
            template = self.templates[field]
            attribute = TEMPLATE_FIELDS[field]
            try:
                text = template.render(variables)
            except (TemplateError, ArithmeticError, TypeError, ValueError, RecursionError, MemoryError) as exc:
                raise TemplateRenderError(attribute, str(exc), _template_lineno(exc)) from exc
            if len(text) > limit:
                raise TemplateRenderError(attribute, f"output is {len(text)} characters, the limit is {limit}")
            rendered[field] = text.strip()
        return rendered
