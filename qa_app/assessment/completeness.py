"""Completeness of a pair's content: the fields a pair needs are there, none too long, the answer not too short."""

from synthgov.text_limits import over_length, text_problem

RECORD_FIELDS = ("question", "answer", "context")
REQUIRED_FIELDS = ("question", "answer")
# Text that cannot be stored at all; when a record has such a field, that is the only reason given.
UNSTORABLE = ("too_long", "nul_character")


def reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def content_reasons(record: dict, *, min_answer_chars: int = 1) -> list[dict]:
    """Why the content cannot make a pair: a field that cannot be stored, over SYNTHGOV_MAX_TEXT_CHARS
    or holding a NUL character (then the only reasons given: no further check reads it), empty
    required fields, a too short answer."""
    unstorable = [
        reason("too_long" if over_length(name, record[name]) else "nul_character", problem)
        for name in RECORD_FIELDS
        if (problem := text_problem(name, record[name]))
    ]
    if unstorable:
        return unstorable
    reasons = [reason("empty_field", f"{name} is empty") for name in REQUIRED_FIELDS if not record[name].strip()]
    answer_chars = len(record["answer"].strip())
    if answer_chars and answer_chars < min_answer_chars:
        reasons.append(
            reason("too_short", f"answer has {answer_chars} character(s); at least {min_answer_chars} are needed")
        )
    return reasons
