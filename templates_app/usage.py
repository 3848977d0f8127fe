"""What uses a template version, told by the apps that use it.

templates_app imports nothing from the apps above it (jobs_app, collections_app); an app that
makes things from a version registers a block for the version's admin page here, at start-up
(its AppConfig.ready). jobs_app registers the jobs that ran from the version.
"""

from collections.abc import Callable

from django.utils.html import format_html_join

NOTHING_USES_IT = "Nothing has used this version yet."

_blocks: list[Callable] = []


def register_version_usage(block: Callable) -> Callable:
    """`block(version)` returns safe HTML about what used the version, or "" when nothing did."""
    if block not in _blocks:
        _blocks.append(block)
    return block


def version_usage(version) -> str:
    """The registered blocks for this version, or NOTHING_USES_IT."""
    shown = [html for block in _blocks if (html := block(version))]
    if not shown:
        return NOTHING_USES_IT
    return format_html_join("", "{}", ((html,) for html in shown))
