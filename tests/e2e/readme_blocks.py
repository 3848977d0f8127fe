"""The command blocks of a Markdown file, each either to be run or marked as not run, with a reason.

A block is marked with an HTML comment right before its fence:

    <!-- readme-test: skip — starts a server; covered by tests/e2e/test_bootstrap.py -->
    ```bash
    make run
    ```
"""

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

# Fenced blocks with one of these info strings are commands a reader is told to run.
SHELL_LANGUAGES = {"bash", "sh", "shell", "console", "zsh"}
MARKER = re.compile(r"<!--\s*readme-test:(?P<rest>.*?)-->", re.DOTALL)
SKIP = re.compile(r"\s*skip\s*[—–:-]+\s*(?P<reason>\S.*?)\s*$", re.DOTALL)
BAD_MARKER = (
    "README.md line {line}: {marker!r} is not a valid marker; write "
    "'<!-- readme-test: skip — <why this block is not run here> -->' right before the block."
)


@dataclass(frozen=True)
class Block:
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    skip_reason: str | None

    @property
    def runs(self) -> bool:
        return self.skip_reason is None


class MarkerError(ValueError):
    pass


def command_blocks(markdown: str) -> list[Block]:
    """Every fenced shell block, with the skip reason of the marker right before it (None: it is run)."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks = []
    for index, token in enumerate(tokens):
        if token.type != "fence":
            continue
        language = token.info.split(maxsplit=1)[0] if token.info.strip() else ""
        if language not in SHELL_LANGUAGES:
            continue
        line = token.map[0] + 1
        previous = tokens[index - 1] if index else None
        marker = MARKER.search(previous.content) if previous is not None and previous.type == "html_block" else None
        reason = None
        if marker is not None:
            skip = SKIP.fullmatch(marker.group("rest"))
            if skip is None:
                raise MarkerError(BAD_MARKER.format(line=previous.map[0] + 1, marker=marker.group(0)))
            reason = skip.group("reason")
        blocks.append(Block(line=line, language=language, code=token.content, skip_reason=reason))
    return blocks


def script_of(blocks: list[Block], *, replacements: dict[str, str]) -> str:
    """One bash session running the blocks in order, as a reader pasting them into one terminal would.

    Before each block it prints `### README.md line N` to stderr, so a failure names its block.
    """
    parts = ["set -euo pipefail"]
    for block in blocks:
        code = block.code
        for old, new in replacements.items():
            code = code.replace(old, new)
        parts.append(f"echo '### README.md line {block.line}' >&2\n{code}")
    return "\n".join(parts) + "\n"
