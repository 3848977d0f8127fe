"""Layering: the lower apps (templates_app, qa_app) import nothing from the higher ones (jobs_app,
collections_app), and the ground-floor apps (tenants_app, webhooks_app) nothing from any domain app, in any
module, at any depth, even inside a function."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWER_APPS = ("templates_app", "qa_app")
HIGHER_APPS = ("jobs_app", "collections_app")
GROUND_FLOOR_APPS = ("tenants_app", "webhooks_app")
# What each app may not import: every app above it.
FORBIDDEN = {
    **dict.fromkeys(LOWER_APPS, HIGHER_APPS),
    **dict.fromkeys(GROUND_FLOOR_APPS, LOWER_APPS + HIGHER_APPS),
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(app: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for line, module in imported_modules(path.read_text()):
            if module.split(".")[0] in FORBIDDEN[app]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return problems


def test_the_scan_finds_an_upward_import_inside_a_function():
    source = "def f():\n    from jobs_app.models import GenerationJob\n    import collections_app.services\n"

    assert [module for _, module in imported_modules(source)] == ["jobs_app.models", "collections_app.services"]


@pytest.mark.parametrize("app", LOWER_APPS + GROUND_FLOOR_APPS)
def test_a_lower_app_imports_nothing_from_a_higher_one(app):
    assert upward_imports(app) == []


# synthgov/ as a whole composes the apps (the API router, the demo data); its operations plumbing
# does not: each app registers its own readiness checks and metrics collectors from AppConfig.ready.
PLUMBING = ("synthgov/health.py", "synthgov/metrics.py")


@pytest.mark.parametrize("module", PLUMBING)
def test_the_operations_plumbing_imports_no_app(module):
    apps = (*LOWER_APPS, *HIGHER_APPS)
    source = (ROOT / module).read_text()

    assert [name for _, name in imported_modules(source) if name.split(".")[0] in apps] == []
