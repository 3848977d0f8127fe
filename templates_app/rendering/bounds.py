"""Size bounds on the values a template builds, checked before the value is built.

The output limit is checked on text already produced; these bounds keep the intermediate values
a template builds on the way (a string doubled in a loop, a wide format field, a list repeated
inside a list) from exhausting memory first. Sizes are measured as the length of the text a
value would print as, estimated without building it.
"""

import functools
import re
import types
from collections.abc import ItemsView, KeysView, ValuesView

from jinja2 import filters as jinja_filters
from jinja2 import pass_context, pass_environment, pass_eval_context
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter, SecurityError
from jinja2.utils import Namespace
from markupsafe import Markup

# The largest intermediate value, in characters of the text it prints as.
MAX_SEQUENCE_PRODUCT = 100_000
MAX_POWER_BITS = 4096
MAX_FORMAT_WIDTH = 10_000
MAX_JSON_INDENT = 8
_PERCENT_FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\d+)")
_SMALL_INT = 10**18
# What prints its items: dict views print the whole dict, items and all.
_CONTAINERS = (list, tuple, set, frozenset, dict, KeysView, ValuesView, ItemsView)
_DIGITS = re.compile(r"\d+")


def text_size(value, limit: int = MAX_SEQUENCE_PRODUCT, indent: int = 0) -> int:
    """About how long `str(value)` is, counted without building it; counting stops past `limit`.

    Containers are walked, so a list holding the same long list many times counts in full: that is
    what printing it would build. `indent` adds what `json.dumps(..., indent=indent)` would.
    """
    size = 0
    pending = [(value, 0)]
    while pending and size <= limit:
        item, depth = pending.pop()
        if depth:
            size += 2 + indent * depth
        if isinstance(item, (str, bytes)):
            size += len(item)
        elif isinstance(item, int) and abs(item) < _SMALL_INT:
            size += len(str(item))
        elif isinstance(item, int):
            size += item.bit_length() * 3 // 10 + 2
        elif isinstance(item, float):
            size += len(repr(item))
        elif isinstance(item, _CONTAINERS):
            size += 2 + indent * depth
            if size + 2 * len(item) > limit:
                return size + 2 * len(item)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(item, Namespace):
            # Namespace prints its attributes; they are only reachable through its private dict.
            pending.append((object.__getattribute__(item, "_Namespace__attrs"), depth))
            size += 13
        else:
            # None, undefined values, and objects from the variables, whose text the template
            # cannot grow; measuring them by str() would raise an undefined value's error early.
            size += 24
    return size


def check_text_size(value, what: str, indent: int = 0) -> None:
    if not isinstance(value, str) and text_size(value, indent=indent) > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"{what} would build text longer than {MAX_SEQUENCE_PRODUCT} characters")


def check_percent_format(template: str, arguments) -> None:
    """Refuse `template % arguments` when its result would exceed the bound."""
    widths = [int(width) for width in _PERCENT_FORMAT_WIDTH.findall(template)]
    if widths and max(widths) > MAX_FORMAT_WIDTH:
        raise SecurityError(f"a format width above {MAX_FORMAT_WIDTH} is not allowed")
    if isinstance(arguments, dict):
        values = list(arguments.values())
    elif isinstance(arguments, tuple):
        values = list(arguments)
    else:
        values = [arguments]
    # A mapping key can be used any number of times, so each field may print the largest value.
    largest = max([text_size(value) for value in values] + widths + [0])
    if len(template) + template.count("%") * largest > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"formatting text longer than {MAX_SEQUENCE_PRODUCT} characters is not allowed")


class _BoundedFormatting:
    """str.format with bounded field widths and a bounded total."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.produced = 0

    def convert_field(self, value, conversion):
        if conversion:
            check_text_size(value, "formatting this value")
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        # The spec is complete here: nested fields such as `{:>{width}}` are already filled in.
        if any(int(number) > MAX_FORMAT_WIDTH for number in _DIGITS.findall(format_spec)):
            raise SecurityError(f"a format width or precision above {MAX_FORMAT_WIDTH} is not allowed")
        check_text_size(value, "formatting this value")
        text = super().format_field(value, format_spec)
        self.produced += len(text)
        if self.produced > MAX_SEQUENCE_PRODUCT:
            raise SecurityError(f"formatting text longer than {MAX_SEQUENCE_PRODUCT} characters is not allowed")
        return text


class BoundedFormatter(_BoundedFormatting, SandboxedFormatter):
    pass


class BoundedEscapeFormatter(_BoundedFormatting, SandboxedEscapeFormatter):
    pass


def bounded_format_method(environment, method):
    """What the sandbox's own wrapper for `str.format` / `format_map` does, with the bounds above."""
    owner = method.__self__
    is_format_map = method.__name__ == "format_map"

    def bounded(*args, **kwargs):
        if is_format_map:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one positional argument")
            args, kwargs = (), args[0]
        if isinstance(owner, Markup):
            formatter = BoundedEscapeFormatter(environment, escape=owner.escape)
        else:
            formatter = BoundedFormatter(environment)
        return type(owner)(formatter.vformat(owner, args, kwargs))

    return functools.update_wrapper(bounded, method)


def _check_width(width, what: str) -> None:
    if isinstance(width, int) and width > MAX_FORMAT_WIDTH:
        raise SecurityError(f"{what} wider than {MAX_FORMAT_WIDTH} is not allowed")


def _replaced_size(text, old, new, count=-1) -> int:
    occurrences = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    return len(text) + occurrences * max(0, len(new) - len(old))


def _check_text_method(owner, name: str, args, kwargs) -> None:
    """Pre-checks for the str and bytes methods whose result can be much larger than the string."""
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _check_width(args[0], f"{name}()")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
        if isinstance(tabsize, int) and len(owner) + tabs * tabsize > MAX_SEQUENCE_PRODUCT:
            raise SecurityError("expanding that many tabs is not allowed")
    elif name == "replace" and len(args) >= 2 and all(isinstance(arg, (str, bytes)) for arg in args[:2]):
        if _replaced_size(owner, *args[:3]) > MAX_SEQUENCE_PRODUCT:
            raise SecurityError(f"replacing would build text longer than {MAX_SEQUENCE_PRODUCT} characters")
    elif name == "translate":
        raise SecurityError(f"{type(owner).__name__}.translate() is not allowed in templates")


def bounded_text_method(method):
    """A str or bytes method that checks its result size first; `join` is measured on its items."""
    owner, name = method.__self__, method.__name__

    if name == "join":

        def bounded_join(iterable):
            items = list(iterable)
            size = sum(len(item) for item in items if isinstance(item, (str, bytes)))
            if size + len(owner) * max(0, len(items) - 1) > MAX_SEQUENCE_PRODUCT:
                raise SecurityError(f"joining text longer than {MAX_SEQUENCE_PRODUCT} characters is not allowed")
            return method(items)

        return functools.update_wrapper(bounded_join, method)

    def bounded(*args, **kwargs):
        _check_text_method(owner, name, args, kwargs)
        return method(*args, **kwargs)

    return functools.update_wrapper(bounded, method)


TEXT_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "replace", "translate", "join"})
GROWING_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "update", "add", "setdefault"})


def bounded_container_method(method):
    """A list, dict or set method that refuses to leave its container larger than the bound."""
    owner = method.__self__

    def bounded(*args, **kwargs):
        result = method(*args, **kwargs)
        # Each call adds at most one bounded value, so checking afterwards is enough.
        if text_size(owner) > MAX_SEQUENCE_PRODUCT:
            raise SecurityError(
                f"a {type(owner).__name__} larger than {MAX_SEQUENCE_PRODUCT} characters is not allowed"
            )
        return result

    return functools.update_wrapper(bounded, method)


def is_method_of(value, types_: tuple) -> bool:
    return isinstance(value, (types.MethodType, types.BuiltinMethodType)) and isinstance(
        getattr(value, "__self__", None), types_
    )


def _guard_input(filter_function):
    """The filter, refusing an input whose text would be too long to build (it prints its input)."""
    offset = 1 if getattr(filter_function, "jinja_pass_arg", None) else 0

    @functools.wraps(filter_function)
    def guarded(*args, **kwargs):
        if len(args) > offset:
            check_text_size(args[offset], "this filter")
        return filter_function(*args, **kwargs)

    return guarded


def bounded_center(value, width: int = 80) -> str:
    _check_width(width, "center()")
    check_text_size(value, "center()")
    return str(value).center(width)


def bounded_indent(s, width=4, first: bool = False, blank: bool = False) -> str:
    _check_width(width, "indent()")
    check_text_size(s, "indent()")
    step = len(width) if isinstance(width, str) else width
    if isinstance(s, str) and isinstance(step, int) and len(s) + (s.count("\n") + 1) * step > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"indenting would build text longer than {MAX_SEQUENCE_PRODUCT} characters")
    return jinja_filters.do_indent(s, width, first, blank)


@pass_eval_context
def bounded_replace(eval_ctx, s, old, new, count=None):
    for value in (s, old, new):
        check_text_size(value, "replace()")
    if _replaced_size(str(s), str(old), str(new), -1 if count is None else count) > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"replacing would build text longer than {MAX_SEQUENCE_PRODUCT} characters")
    return jinja_filters.do_replace(eval_ctx, s, old, new, count)


def bounded_format(value, *args, **kwargs):
    check_text_size(value, "format()")
    check_percent_format(str(value), kwargs or args)
    return jinja_filters.do_format(value, *args, **kwargs)


@pass_eval_context
def bounded_join(eval_ctx, value, d="", attribute=None):
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(eval_ctx.environment, attribute), value)
    items = list(value)
    size = len(str(d)) * max(0, len(items) - 1)
    for item in items:
        size += text_size(item, MAX_SEQUENCE_PRODUCT - size)
        if size > MAX_SEQUENCE_PRODUCT:
            raise SecurityError(f"joining text longer than {MAX_SEQUENCE_PRODUCT} characters is not allowed")
    return jinja_filters.sync_do_join(eval_ctx, items, d)


@pass_eval_context
def bounded_tojson(eval_ctx, value, indent=None):
    if indent is not None and (not isinstance(indent, int) or indent > MAX_JSON_INDENT):
        raise SecurityError(f"tojson() indents by at most {MAX_JSON_INDENT} spaces")
    check_text_size(value, "tojson()", indent=indent or 0)
    return jinja_filters.do_tojson(eval_ctx, value, indent)


@pass_environment
def bounded_wordwrap(environment, s, width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True):
    check_text_size(s, "wordwrap()")
    text = str(s)
    breaks = len(text) // max(int(width), 1) + text.count("\n") + 1
    if len(text) + breaks * len(wrapstring or environment.newline_sequence) > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"wrapping would build text longer than {MAX_SEQUENCE_PRODUCT} characters")
    return jinja_filters.do_wordwrap(environment, s, width, break_long_words, wrapstring, break_on_hyphens)


def bounded_batch(value, linecount, fill_with=None):
    # The last batch is padded up to `linecount` items.
    if linecount > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"batches of more than {MAX_SEQUENCE_PRODUCT} items are not allowed")
    return jinja_filters.do_batch(value, linecount, fill_with)


def bounded_slice(value, slices, fill_with=None):
    if slices > MAX_SEQUENCE_PRODUCT:
        raise SecurityError(f"more than {MAX_SEQUENCE_PRODUCT} slices are not allowed")
    return jinja_filters.do_slice(value, slices, fill_with)


@pass_environment
def bounded_sum(environment, iterable, attribute=None, start=0):
    # With a list or string as `start`, sum() concatenates, unbounded and in quadratic time.
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise SecurityError("sum() adds numbers only")
    return jinja_filters.sync_do_sum(environment, iterable, attribute, start)


@pass_context
def bounded_map(context, value, *args, **kwargs):
    # Mapping a filter over many references to one long string makes that many copies.
    produced = 0
    for item in jinja_filters.sync_do_map(context, value, *args, **kwargs):
        produced += text_size(item, MAX_SEQUENCE_PRODUCT - produced)
        if produced > MAX_SEQUENCE_PRODUCT:
            raise SecurityError(f"map() producing more than {MAX_SEQUENCE_PRODUCT} characters is not allowed")
        yield item


# Filters that print their input, and so must not be handed a value whose text is too long.
_PRINTING_FILTERS = (
    "capitalize",
    "e",
    "escape",
    "forceescape",
    "lower",
    "pprint",
    "string",
    "striptags",
    "title",
    "trim",
    "truncate",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "xmlattr",
)


def bounded_filters(filters: dict) -> dict:
    """Jinja's filters with every one that can build large text replaced by a bounded version."""
    bounded = {name: _guard_input(filters[name]) for name in _PRINTING_FILTERS}
    bounded.update(
        batch=bounded_batch,
        center=bounded_center,
        format=bounded_format,
        indent=bounded_indent,
        join=bounded_join,
        map=bounded_map,
        replace=bounded_replace,
        slice=bounded_slice,
        sum=bounded_sum,
        tojson=bounded_tojson,
        wordwrap=bounded_wordwrap,
    )
    return {**filters, **bounded}
