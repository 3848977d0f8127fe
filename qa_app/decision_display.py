"""How the admin pages show review decisions: a pair's decisions as a table, and what one decision did."""

from django.utils.html import format_html, format_html_join

from .models import QAPair


def decision_table(decisions, hidden: int = 0) -> str:
    """A pair's review decisions as a small table (who, what, why, when), with the hidden ones counted."""
    if not decisions and not hidden:
        return "—"
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                decision.round,
                decision.reviewer.get_username(),
                decision.get_decision_display() + (" (adjudication)" if decision.is_adjudication else ""),
                decision.reason or "—",
                _edit_summary(decision),
                decision.decided_at.strftime("%Y-%m-%d %H:%M"),
            )
            for decision in decisions
        ),
    )
    note = (
        format_html(
            "<p>{} decision(s) of other reviewers in this open round are hidden until it is over (blind review).</p>",
            hidden,
        )
        if hidden
        else ""
    )
    return format_html(
        '<table class="synthgov-decisions"><thead><tr><th>round</th><th>reviewer</th><th>decision</th>'
        "<th>reason</th><th>edit</th><th>when</th></tr></thead><tbody>{}</tbody></table>{}",
        rows,
        note,
    )


def _edit_summary(decision) -> str:
    if not decision.edited:
        return "—"
    before = decision.original or {}
    changed = [field for field, text in decision.edited.items() if before.get(field) != text]
    return "changed " + ", ".join(changed) if changed else "no change"


def decided_message(pair, verb: str) -> str:
    """What a single decision did: decided the pair, recorded a first of two decisions, or escalated."""
    if pair.review_status == QAPair.ReviewStatus.PENDING:
        return f"Recorded your decision on #{pair.pk}; it needs a second reviewer's before it is decided."
    if pair.review_status == QAPair.ReviewStatus.AWAITING_ADJUDICATION:
        return f"Recorded your decision on #{pair.pk}; the reviewers disagree, so it goes to adjudication."
    return f"{verb} #{pair.pk}."
