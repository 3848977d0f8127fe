"""Completeness: the fields a pair needs are there, and the version's output_schema holds."""

from jsonschema.protocols import Validator

from synthgov.text_limits import over_length

RECORD_FIELDS = ("question", "answer", "context")
REQUIRED_FIELDS = ("question", "answer")


def reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def completeness_reasons(record: dict, validator: Validator, *, min_answer_chars: int = 1) -> list[dict]:
    """Why the record cannot become a pair: empty required fields, a too short answer, schema violations.

    Length bounds per field (minLength/maxLength) belong in the output_schema, where jsonschema
    enforces them; `min_answer_chars` is the one bound that holds for every template.
    A field over SYNTHGOV_MAX_TEXT_CHARS is the only reason given: no further check reads it.
    """
    too_long = [reason("too_long", problem) for name in RECORD_FIELDS if (problem := over_length(name, record[name]))]
    if too_long:
        return too_long
    reasons = [reason("empty_field", f"{name} is empty") for name in REQUIRED_FIELDS if not record[name].strip()]
    answer_chars = len(record["answer"].strip())
    if answer_chars and answer_chars < min_answer_chars:
        reasons.append(
            reason("too_short", f"answer has {answer_chars} character(s); at least {min_answer_chars} are needed")
        )
    for error in validator.iter_errors({name: record[name] for name in RECORD_FIELDS}):
        where = "/".join(str(part) for part in error.absolute_path) or "record"
        reasons.append(reason("schema", f"{where}: {error.message}"))
    return reasons
