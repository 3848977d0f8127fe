"""Markdown of user and model text, rendered safely for the review page.

markdown-it-py in CommonMark mode with raw HTML switched off (so `<script>` is shown as text)
and its link check (no `javascript:`/`vbscript:` URLs); nh3 then keeps only an allowlist of tags
and attributes, in case a rendering rule ever lets something through.
"""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "pre", "code", "em", "strong", "blockquote", "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "code": {"class"}, "ol": {"start"}}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")


def render_markdown(text: str) -> Markup:
    """HTML of the text's Markdown (line breaks kept), sanitised; safe to put in a template."""
    html = _renderer.render(text or "")
    return Markup(
        nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel="noopener noreferrer nofollow")
    )
