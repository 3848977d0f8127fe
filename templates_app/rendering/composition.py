"""Composition: `{% include "key" %}` and `{% extends "key" %}` resolved before anything renders.

A reference names another template by its key and means the same field of it: `question_template`
including "greeting" gets greeting's `question_template`. `"key:field"` names another field
(`"greeting:context"` or `"greeting:context_template"`). Only string literals may be referenced,
so every reference is known from the syntax tree: the whole composition is resolved, checked and
compiled once, and a render never looks anything up.

Which version of a key is used is the caller's choice (`resolve_composition` takes a lookup): the
current approved version while a version is a draft, the pinned one once published. One version
per key serves the whole composition, nested references included.

Refused: computed names; a reference path that comes back to a template already on it (a cycle,
counted by template key, so `a` including `b` including `a:answer` is a cycle too); and, under the
secure profile, a composition whose syntax tree, with each reference counted at the size of what
it brings in, passes the node or depth bound; without that bound, a template including another
a thousand times, which includes a third a thousand times, renders it a million times per record.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import BaseLoader, TemplateNotFound, TemplateSyntaxError, nodes

from .profile import TOO_DEEP, TOO_MANY_NODES

FIELD_ATTRIBUTES = {
    "system_prompt": "system_prompt",
    "prompt": "prompt",
    "question": "question_template",
    "answer": "answer_template",
    "context": "context_template",
}
_ATTRIBUTES = frozenset(FIELD_ATTRIBUTES.values())

COMPUTED_REFERENCE = (
    "only a template key written as a quoted string can be included or extended; a computed name cannot be "
    "checked before rendering"
)
UNKNOWN_FIELD = "'{name}' names no template field; after ':' use one of {fields}"
REFERENCE_CYCLE = "the template references form a cycle: {cycle}"
IN_REFERENCED = "in '{name}', line {lineno}: {message}"
COMPOSED_TOO_LARGE = "with what it includes, " + TOO_MANY_NODES
COMPOSED_TOO_DEEP = "with what it includes, " + TOO_DEEP

_REFERENCE_NODES = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)


class CompositionError(Exception):
    """A reference that cannot be used; `lineno` is where the root field makes it."""

    def __init__(self, message: str, lineno: int | None = None):
        self.lineno = lineno
        super().__init__(message)


def qualified_name(name: str, parent: str | None) -> str:
    """`key:attribute` for a reference written in the template named `parent` (a field or `key:attribute`)."""
    key, separator, field_name = name.partition(":")
    if separator:
        attribute = FIELD_ATTRIBUTES.get(field_name, field_name)
        if attribute not in _ATTRIBUTES:
            fields = ", ".join(f"'{known}'" for known in FIELD_ATTRIBUTES)
            raise CompositionError(UNKNOWN_FIELD.format(name=name, fields=fields))
    else:
        attribute = (parent or "").rpartition(":")[2]
    return f"{key}:{attribute}"


def reference_sites(template: nodes.Template, parent: str) -> list[tuple[nodes.Node, list[str]]]:
    """Each include/extends/import in the tree of the template named `parent`, with the qualified
    names it references; a computed name is refused."""
    sites = []
    for node in template.find_all(_REFERENCE_NODES):
        expression = node.template
        if isinstance(expression, nodes.Const) and isinstance(expression.value, str):
            names = [expression.value]
        elif isinstance(expression, nodes.Const) and isinstance(expression.value, (list, tuple)):
            names = list(expression.value)
        elif isinstance(expression, (nodes.List, nodes.Tuple)):
            names = [item.value if isinstance(item, nodes.Const) else None for item in expression.items]
        else:
            names = [None]
        if not names or not all(isinstance(name, str) for name in names):
            raise CompositionError(COMPUTED_REFERENCE, node.lineno)
        try:
            sites.append((node, [qualified_name(name, parent) for name in names]))
        except CompositionError as exc:
            raise CompositionError(str(exc), node.lineno) from exc
    return sites


@dataclass
class _Part:
    """One field of one template in the composition: its own size and where it references others."""

    nodes: int = 0
    depth: int = 0
    # (depth of the referencing node, its line, the qualified names it references)
    references: list[tuple[int, int, list[str]]] = field(default_factory=list)


def _measure(template: nodes.Template, parent: str) -> _Part:
    """Count nodes and depth as the secure profile does, and note each reference's depth and line."""
    site_names = {id(node): names for node, names in reference_sites(template, parent)}
    part = _Part()
    pending = [(template, 1)]
    while pending:
        node, depth = pending.pop()
        part.nodes += 1
        part.depth = max(part.depth, depth)
        if id(node) in site_names:
            part.references.append((depth, node.lineno, site_names[id(node)]))
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())
    return part


@dataclass
class Composition:
    """The resolved references of one version: the version used for each key reached."""

    versions: dict = field(default_factory=dict)
    # Each referenced `key:attribute`, with the root field (and its line) it was first reached from.
    reached: dict = field(default_factory=dict)


def resolve_composition(environment, root_key: str, root, lookup: Callable[[str], object]) -> Composition:
    """Walk every reference from the root version's fields, resolving each key once with `lookup`.

    Raises FieldCompositionErrors: for each root field, the first problem reached from it, with the
    line of the field's reference it came through. `lookup(key)` returns a version or raises
    CompositionError naming the key.
    """
    composition = Composition()
    problems = {}
    for attribute in FIELD_ATTRIBUTES.values():
        try:
            _resolve_field(environment, root_key, root, attribute, lookup, composition)
        except CompositionError as exc:
            problems[attribute] = exc
    if problems:
        raise FieldCompositionErrors(problems)
    return composition


class FieldCompositionErrors(Exception):
    """CompositionErrors by the root field they were reached from."""

    def __init__(self, problems: dict[str, CompositionError]):
        self.problems = problems
        super().__init__("; ".join(f"{attribute}: {problem}" for attribute, problem in problems.items()))


def _parse_root(environment, source: str) -> nodes.Template:
    # The root field's own syntax errors are reported by compiling it; here they mean "nothing to resolve".
    try:
        return environment.parse(source)
    except (TemplateSyntaxError, RecursionError):
        return nodes.Template([], lineno=1)


def _resolve_field(environment, root_key, root, attribute, lookup, composition: Composition) -> None:
    root_part = _measure(_parse_root(environment, getattr(root, attribute)), attribute)
    if not root_part.references:
        return
    parts = {attribute: root_part}
    # Every key a reference path reaches, with the keys it references; cycles are found on this graph.
    edges = {root_key: set()}
    # The line of the root field's reference through which each key was first reached.
    origin = {}
    pending = [(root_key, name, lineno) for _, lineno, names in root_part.references for name in names]
    while pending:
        from_key, name, site_line = pending.pop()
        key, _, referenced_attribute = name.partition(":")
        edges.setdefault(from_key, set()).add(key)
        origin.setdefault(key, site_line)
        if name in parts:
            continue
        composition.reached.setdefault(name, (attribute, site_line))
        if key == root_key:
            # A reference back to the root is a cycle, reported below; its content is the root's own.
            parts[name] = _Part()
            continue
        version = composition.versions.get(key)
        if version is None:
            try:
                version = lookup(key)
            except CompositionError as exc:
                raise CompositionError(str(exc), site_line) from exc
            composition.versions[key] = version
        try:
            parts[name] = _measure(environment.parse(getattr(version, referenced_attribute)), name)
        except TemplateSyntaxError as exc:
            message = IN_REFERENCED.format(name=name, lineno=exc.lineno, message=exc.message)
            raise CompositionError(message, site_line) from exc
        except CompositionError as exc:
            message = IN_REFERENCED.format(name=name, lineno=exc.lineno, message=exc)
            raise CompositionError(message, site_line) from exc
        except RecursionError as exc:
            raise CompositionError(f"'{name}' nests too deeply to compile", site_line) from exc
        pending.extend((key, referenced, site_line) for _, _, names in parts[name].references for referenced in names)
    cycle = _find_cycle(edges, root_key)
    if cycle:
        raise CompositionError(REFERENCE_CYCLE.format(cycle=" -> ".join(cycle)), origin.get(cycle[1]))
    profile = environment.profile
    if profile:
        total_nodes, total_depth = _composed_size(parts, attribute)
        if total_nodes > profile.max_nodes:
            raise CompositionError(COMPOSED_TOO_LARGE.format(limit=profile.max_nodes))
        if total_depth > profile.max_depth:
            raise CompositionError(COMPOSED_TOO_DEEP.format(limit=profile.max_depth))


def _find_cycle(edges: dict[str, set[str]], start: str) -> list[str] | None:
    """The first cycle reachable from `start`, as the keys along it, first key repeated at the end."""
    path, on_path, done = [start], {start}, set()
    stack = [iter(sorted(edges.get(start, ())))]
    while stack:
        for child in stack[-1]:
            if child in on_path:
                return [*path[path.index(child) :], child]
            if child not in done:
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(edges.get(child, ()))))
                break
        else:
            stack.pop()
            finished = path.pop()
            on_path.discard(finished)
            done.add(finished)
    return None


def _composed_size(parts: dict[str, _Part], root: str) -> tuple[int, int]:
    """Nodes and depth of `root` with every reference counted at the size of what it brings in."""
    sizes = {}
    stack = [root]
    while stack:
        name = stack[-1]
        missing = [
            referenced
            for _, _, names in parts[name].references
            for referenced in names
            if referenced not in sizes and referenced != name
        ]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        part = parts[name]
        total_nodes, total_depth = part.nodes, part.depth
        for depth, _, names in part.references:
            for referenced in names:
                referenced_nodes, referenced_depth = sizes[referenced]
                total_nodes += referenced_nodes
                total_depth = max(total_depth, depth + referenced_depth)
        sizes[name] = (total_nodes, total_depth)
    return sizes[root]


class CompositionLoader(BaseLoader):
    """Serves `key:attribute` from the versions a composition resolved; nothing else exists."""

    def __init__(self, versions: dict):
        self.versions = versions

    def get_source(self, environment, template):
        key, _, attribute = template.partition(":")
        version = self.versions.get(key)
        if version is None or attribute not in _ATTRIBUTES:
            raise TemplateNotFound(template)
        return getattr(version, attribute), template, lambda: True
