"""The secure profile: what a user-authored template may contain, checked on its syntax tree.

The sandbox decides what a running template may touch; the profile narrows what it may say
before it runs. Only the filters and tests below exist, macros (and so `import`, which only serves
macros) are refused, and the syntax tree is bounded in size and depth. `{% include %}`,
`{% extends %}` and `{% block %}` are allowed: they name other templates by key, resolved and
bounded before rendering (see `composition`).

The filters are those a prompt or an answer is written with: formatting numbers and words,
picking from and ordering lists, and JSON. Left out, and why:
- `attr` reaches attributes by a computed name, the usual first step of an escape;
- `pprint` prints the internals of objects;
- `random` draws from an unseeded generator, so a record could not be re-derived from its seed;
- `e`, `escape`, `forceescape`, `safe`, `striptags`, `urlencode`, `urlize`, `xmlattr`: HTML and
  URL output, which plain-text prompts (rendered without autoescaping) have no use for;
- `filesizeformat`, `slice`, `wordwrap`: no use in prompts yet; `batch` groups lists.
The tests are those that ask about a value's type, parity or order. Left out: `callable` (asking
which values can be called is how escapes start), `escaped` (HTML) and `filter`/`test` (they
enumerate the environment).
"""

from dataclasses import dataclass

from jinja2 import nodes

ALLOWED_FILTERS = frozenset(
    {
        "abs",
        "batch",
        "capitalize",
        "center",
        "count",
        "d",
        "default",
        "dictsort",
        "first",
        "float",
        "format",
        "groupby",
        "indent",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "select",
        "selectattr",
        "sort",
        "string",
        "sum",
        "title",
        "tojson",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
ALLOWED_TESTS = frozenset(
    {
        "boolean",
        "defined",
        "divisibleby",
        "even",
        "false",
        "float",
        "in",
        "integer",
        "iterable",
        "lower",
        "mapping",
        "none",
        "number",
        "odd",
        "sameas",
        "sequence",
        "string",
        "true",
        "undefined",
        "upper",
        "==",
        "eq",
        "equalto",
        "!=",
        "ne",
        "<",
        "lt",
        "lessthan",
        "<=",
        "le",
        ">",
        "gt",
        "greaterthan",
        ">=",
        "ge",
    }
)

REFUSED_TAG = "{tag} is not allowed in templates"
REFUSED_FILTER = "the filter '{name}' is not allowed in templates"
REFUSED_TEST = "the test '{name}' is not allowed in templates"
TOO_MANY_NODES = "the template has more than {limit} syntax nodes"
TOO_DEEP = "the template nests more than {limit} levels deep"

_REFUSED_TAGS = {
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
}


@dataclass(frozen=True)
class SecureProfile:
    max_nodes: int
    max_depth: int

    def violation(self, template: nodes.Template) -> tuple[str, int] | None:
        """The first thing in the template the profile refuses, as (message, line number)."""
        count = 0
        pending = [(template, 1)]
        while pending:
            node, depth = pending.pop()
            lineno = getattr(node, "lineno", None) or 1
            message = _refusal(node)
            if message:
                return message, lineno
            count += 1
            if count > self.max_nodes:
                return TOO_MANY_NODES.format(limit=self.max_nodes), lineno
            if depth > self.max_depth:
                return TOO_DEEP.format(limit=self.max_depth), lineno
            children = list(node.iter_child_nodes())
            # Reversed so the walk, and so the first refusal reported, follows the source order.
            pending.extend((child, depth + 1) for child in reversed(children))
        return None


def _refusal(node: nodes.Node) -> str | None:
    if type(node) in _REFUSED_TAGS:
        return REFUSED_TAG.format(tag=_REFUSED_TAGS[type(node)])
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        return REFUSED_FILTER.format(name=node.name)
    if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
        return REFUSED_TEST.format(name=node.name)
    return None
