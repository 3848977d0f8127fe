"""The sandboxed environment user-authored templates compile and render in.

The stock sandbox blocks access to Python internals but not resource use (`'a' * 10**8` renders
100 MB), so this one also bounds what a template can build, how often it can loop, and how much
it can write into a buffer; with a secure profile it also narrows what a template may contain.

Loops, `~` and list, tuple and dict literals are bounded through the code generator, the hook
Jinja provides for changing the Python a template compiles to: `for` loops iterate through
`iterate_bounded`, which counts the iterations of the whole render on its context; `~` joins only
after `checked_concat` has measured the parts; literals pass through `checked_literal`. A
recursive loop iterates again through `loop(...)`, which is a call, and every call from a
template goes through `call` below, so no loop escapes the count. The alternatives were worse: a
custom `LoopContext` only serves loops that use `loop`, and rewriting the tree before compiling
would leave templates compiled straight from the environment unbounded.
"""

import copy
import math

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, optimizeconst
from jinja2.runtime import BlockReference, Context, LoopContext
from jinja2.sandbox import SandboxedEnvironment, SecurityError, modifies_known_mutable

from .bounds import (
    GROWING_CONTAINER_METHODS,
    MAX_POWER_BITS,
    MAX_SEQUENCE_PRODUCT,
    TEXT_METHODS,
    bounded_container_method,
    bounded_filters,
    bounded_format_method,
    bounded_text_method,
    check_percent_format,
    check_text_size,
    is_method_of,
    text_size,
)
from .composition import qualified_name
from .profile import ALLOWED_FILTERS, ALLOWED_TESTS, SecureProfile

# Where a render's contexts keep their shared count: a name no template can write, so unreachable.
_LOOP_COUNT_KEY = "synthgov loop count"


class LoopCount:
    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class BoundedContext(Context):
    """A render's context; it also counts the loop iterations of that render.

    An included template renders in a new context made from this one's variables, and a block in
    a derived one; they find the count among those variables, so the bound is one per render,
    not one per include.
    """

    def __init__(self, environment, parent, name, blocks, globals=None):
        if _LOOP_COUNT_KEY not in parent:
            # A render's own context always gets a fresh dict (Jinja's `new_context`), never the globals.
            parent[_LOOP_COUNT_KEY] = LoopCount()
        super().__init__(environment, parent, name, blocks, globals=globals)
        self.loop_count = parent[_LOOP_COUNT_KEY]


class OutputBuffer(list):
    """Where a `{% set %}` block, `{% filter %}` block or macro collects its text, up to a limit.

    Only the top level of a template streams its output (and the caller stops reading past the
    output limit); these blocks build their text in memory first.
    """

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.size = 0

    def append(self, text):
        self.size += len(text)
        if self.size > self.limit:
            raise SecurityError(f"a block building more than {self.limit} characters is not allowed")
        super().append(text)

    def extend(self, texts):
        for text in texts:
            self.append(text)


class BoundedCodeGenerator(CodeGenerator):
    def visit_Template(self, node, frame=None):
        profile = self.environment.profile
        violation = profile.violation(node) if profile else None
        if violation:
            self.fail(*violation)
        super().visit_Template(node, frame)

    def visit_For(self, node, frame):
        # A copy, so the parsed tree stays what the author wrote; only the generated code counts.
        bounded = copy.copy(node)
        bounded.iter = nodes.Call(
            nodes.EnvironmentAttribute("iterate_bounded"), [nodes.ContextReference(), node.iter], [], None, None
        )
        bounded.iter.set_lineno(node.iter.lineno).set_environment(self.environment)
        super().visit_For(bounded, frame)

    @optimizeconst
    def visit_Concat(self, node, frame):
        # As CodeGenerator.visit_Concat, with the parts measured before they are joined.
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"{join}(environment.checked_concat((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write(")))")

    def visit_List(self, node, frame):
        self._checked_literal(super().visit_List, node, frame)

    def visit_Tuple(self, node, frame):
        if node.ctx != "load":
            # A target of `set` or `for`, assigned to rather than built.
            super().visit_Tuple(node, frame)
            return
        self._checked_literal(super().visit_Tuple, node, frame)

    def visit_Dict(self, node, frame):
        self._checked_literal(super().visit_Dict, node, frame)

    def _checked_literal(self, visit, node, frame):
        # `[x, x]` in a loop doubles what x prints as, and what comparing it with another such
        # value costs, without ever being large in memory.
        self.write("environment.checked_literal(")
        visit(node, frame)
        self.write(")")

    def buffer(self, frame):
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")


def _bounded_finalize(value):
    # `{{ value }}` prints str(value); a list holding one long list many times prints all of it.
    check_text_size(value, "printing this value")
    return value


class BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator
    context_class = BoundedContext

    def __init__(
        self, *, profile: SecureProfile | None, max_loop_iterations: int, max_block_chars: int, **options
    ) -> None:
        super().__init__(finalize=_bounded_finalize, **options)
        self.profile = profile
        self.max_loop_iterations = max_loop_iterations
        self.max_block_chars = max_block_chars
        # lipsum builds text of any size on request; templates have no use for it.
        self.globals.pop("lipsum", None)
        self.filters = bounded_filters(self.filters)
        if profile:
            self.filters = {name: function for name, function in self.filters.items() if name in ALLOWED_FILTERS}
            self.tests = {name: function for name, function in self.tests.items() if name in ALLOWED_TESTS}

    def join_path(self, template: str, parent: str) -> str:
        # `{% include "key" %}` means the same field of that template: `key:<the including field>`.
        return qualified_name(template, parent)

    def is_safe_attribute(self, obj, attr, value) -> bool:
        # Under the profile, lists, dicts and sets are read-only (Jinja's ImmutableSandboxedEnvironment
        # rule): the variables and exemplars are shared by every record a job renders.
        if self.profile and modifies_known_mutable(obj, attr):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value):
        # The sandbox's access-time hook for str methods: it wraps `format` so that calls made
        # without `call` are sandboxed too. It is used here for every method that can grow a value.
        if is_method_of(value, (str,)) and value.__name__ in ("format", "format_map"):
            return bounded_format_method(self, value)
        if is_method_of(value, (str, bytes)) and value.__name__ in TEXT_METHODS:
            return bounded_text_method(value)
        if (
            is_method_of(value, (list, dict, set))
            and value.__name__ in GROWING_CONTAINER_METHODS
            and self.is_safe_attribute(value.__self__, value.__name__, value)
        ):
            return bounded_container_method(value)
        return None

    def call(self, context, obj, /, *args, **kwargs):
        if isinstance(obj, LoopContext) and args:
            # `loop(children)` in a recursive loop iterates again, outside the `for` it came from.
            args = (self.iterate_bounded(context, args[0]), *args[1:])
        if isinstance(obj, BlockReference):
            # `self.block()` and `super()` render a block again; `{{ super() }}{{ super() }}` down a
            # chain of extends, or a block calling itself twice, doubles the work at every level.
            self.count_iteration(context)
        result = super().call(context, obj, *args, **kwargs)
        # `dict(a=x, b=x)` and `namespace(a=x, b=x)` nest a value twice, as a literal would.
        if not isinstance(result, str):
            check_text_size(result, "this call")
        return result

    def checked_literal(self, value):
        check_text_size(value, "this literal")
        return value

    def iterate_bounded(self, context, iterable):
        for item in iterable:
            self.count_iteration(context)
            yield item

    def count_iteration(self, context) -> None:
        count = context.loop_count
        count.value += 1
        if count.value > self.max_loop_iterations:
            raise SecurityError(f"more than {self.max_loop_iterations} loop iterations are not allowed")

    def checked_concat(self, parts: tuple) -> tuple:
        size = 0
        for part in parts:
            size += text_size(part, MAX_SEQUENCE_PRODUCT - size)
            if size > MAX_SEQUENCE_PRODUCT:
                raise SecurityError(f"concatenating text longer than {MAX_SEQUENCE_PRODUCT} characters is not allowed")
        return parts

    def output_buffer(self) -> OutputBuffer:
        return OutputBuffer(self.max_block_chars)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and _is_number(left) and _is_number(right):
            magnitude = math.log2(abs(left)) if abs(left) > 1 else 0
            if magnitude * abs(right) > MAX_POWER_BITS:
                raise SecurityError(f"the power {left} ** {right} is too large")
        if operator == "*":
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
                raise SecurityError("the product is too large")
            for sequence, count in ((left, right), (right, left)):
                repeats_sequence = _is_sized(sequence) and isinstance(count, int) and count > 1
                if repeats_sequence and text_size(sequence) * count > MAX_SEQUENCE_PRODUCT:
                    raise SecurityError("repeating a sequence that many times is not allowed")
        joins_sequences = operator == "+" and _is_sized(left) and _is_sized(right)
        if joins_sequences and text_size(left) + text_size(right) > MAX_SEQUENCE_PRODUCT:
            raise SecurityError("joining sequences that long is not allowed")
        if operator == "%" and isinstance(left, str):
            check_percent_format(left, right)
        return super().call_binop(context, operator, left, right)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_sized(value) -> bool:
    return isinstance(value, (str, list, tuple))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
