"""Completeness of a generated record: qa_app's content checks, and the version's output_schema holds."""

from jsonschema.protocols import Validator

from qa_app.assessment.completeness import RECORD_FIELDS, UNSTORABLE, content_reasons, reason


def completeness_reasons(record: dict, validator: Validator, *, min_answer_chars: int = 1) -> list[dict]:
    """Why the record cannot become a pair: content problems (qa_app), then schema violations.

    Length bounds per field (minLength/maxLength) belong in the output_schema, where jsonschema
    enforces them; `min_answer_chars` is the one bound that holds for every template.
    A field that cannot be stored (too long, a NUL) is the only reason given: no further check reads it.
    """
    reasons = content_reasons(record, min_answer_chars=min_answer_chars)
    if any(problem["code"] in UNSTORABLE for problem in reasons):
        return reasons
    for error in validator.iter_errors({name: record[name] for name in RECORD_FIELDS}):
        where = "/".join(str(part) for part in error.absolute_path) or "record"
        reasons.append(reason("schema", f"{where}: {error.message}"))
    return reasons
