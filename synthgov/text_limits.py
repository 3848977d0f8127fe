"""What every question, answer and context must be to be stored: at most SYNTHGOV_MAX_TEXT_CHARS
characters, and no NUL character (PostgreSQL refuses it in text).

The cap bounds what one request or one generated record costs every check that reads the text
(PII, language, near-duplicates, the output schema). Services call `text_problems` (or
`refuse_text_problems`); generation turns the same problems into a rejected artifact's reasons.
"""

from django.conf import settings

from .errors import InvalidInput

TEXT_TOO_LONG = "{field} has {length:,} characters; at most {limit:,} are allowed (SYNTHGOV_MAX_TEXT_CHARS)."
TEXT_HAS_NUL = "{field} contains a NUL character (\\u0000), which cannot be stored. Remove it."


def over_length(name: str, value: str | None) -> str | None:
    """Why the text of field `name` is too long, or None."""
    limit = settings.SYNTHGOV_MAX_TEXT_CHARS
    if value and len(value) > limit:
        return TEXT_TOO_LONG.format(field=name, length=len(value), limit=limit)
    return None


def text_problem(name: str, value: str | None) -> str | None:
    """Why the text of field `name` cannot be stored, or None."""
    if not value:
        return None
    if too_long := over_length(name, value):
        return too_long
    if "\x00" in value:
        return TEXT_HAS_NUL.format(field=name)
    return None


def text_problems(fields: dict[str, str | None]) -> dict[str, str]:
    """The problem of each field that has one, by field name."""
    problems = {name: text_problem(name, value) for name, value in fields.items()}
    return {name: problem for name, problem in problems.items() if problem}


def refuse_text_problems(fields: dict[str, str | None]) -> None:
    """InvalidInput naming each field whose text cannot be stored (the API answers 400)."""
    problems = text_problems(fields)
    if problems:
        field = next(iter(problems))
        raise InvalidInput(
            " ".join(problems.values()),
            field=field,
            problems={name: [problem] for name, problem in problems.items()},
        )


def without_nul(value):
    """`value` (JSON-like: dicts, lists, strings) with every NUL character replaced by U+FFFD.

    For what is kept as evidence rather than as content, such as a rejected record's payload:
    PostgreSQL's jsonb refuses \\u0000, and one model reply holding it must not fail a batch.
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    return value
