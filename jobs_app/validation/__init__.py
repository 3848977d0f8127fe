"""Checks that are about generation (no LLM, no database): the output schema of a record and
rejection decisions. The checks of a pair's content (PII, locale, completeness, near duplicates,
quality score) are qa_app's (`qa_app/assessment/`): every pair gets them, whatever made it.
"""


def pii_reason(flags: list[dict]) -> dict:
    """The rejection reason when PII is configured to reject rather than flag."""
    found = ", ".join(f"{flag['code'].removeprefix('pii_')} in {flag['field']} ({flag['match']})" for flag in flags)
    return {"code": "pii", "message": f"personal data found: {found}"}
