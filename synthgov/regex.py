"""Linear-time regular expressions (RE2) for every pattern that runs on user or model text.

Python's `re` backtracks: a nested quantifier (`^(a+)+$`) or an unanchored run (`[\\w.]+@`) can
cost seconds to hours on one long text. RE2 (`google-re2`) runs in time linear in the text, at
the price of lookaround and backreferences, which it refuses to compile.

RE2's `\\w`, `\\d` and `\\s` are ASCII (as in JSON Schema's ECMA-262 patterns); write `\\pL`,
`\\pN` or `\\p{Nd}` where Unicode letters and digits are meant.
"""

from functools import lru_cache

import re2

# Compiled patterns kept per process: schema patterns repeat across every record of a job.
PATTERN_CACHE_SIZE = 512


class PatternRefused(ValueError):
    """RE2 cannot compile the pattern (lookaround, backreference, too large)."""


def _options() -> re2.Options:
    options = re2.Options()
    # Refusals are reported to the caller; RE2 would also print each one to stderr.
    options.log_errors = False
    return options


@lru_cache(maxsize=PATTERN_CACHE_SIZE)
def linear(pattern: str | bytes):
    """The pattern compiled by RE2; PatternRefused (with RE2's reason) when it cannot be."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        raise PatternRefused(reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)) from None


def is_linear(compiled) -> bool:
    """Whether a compiled pattern is RE2's (tests pin the engine of every text pattern with it)."""
    return type(compiled) is type(linear(""))
