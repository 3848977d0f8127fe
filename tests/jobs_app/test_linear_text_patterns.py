"""PII candidate patterns run in time linear in the text (RE2), and find what they found before."""

from qa_app.assessment.pii import TEXT_PATTERNS, pii_flags
from synthgov.regex import is_linear

VALID_CARD = "4111 1111 1111 1111"
MEGABYTE = 1_000_000


def codes(flags):
    return [flag["code"] for flag in flags]


def test_every_pii_pattern_runs_on_re2():
    assert TEXT_PATTERNS
    assert all(is_linear(pattern) for pattern in TEXT_PATTERNS)


def test_pii_flags_a_megabyte_of_letters_before_an_at_sign_without_a_flag():
    # With Python's backtracking `re` the e-mail pattern took 20 s for 64,000 letters (quadratic).
    assert pii_flags({"answer": "a" * MEGABYTE + "@"}) == []


def test_pii_flags_a_megabyte_of_digits_without_a_flag():
    assert pii_flags({"answer": "1" * MEGABYTE + "a"}, region="DE") == []


def test_pii_flags_two_cards_separated_by_a_single_space():
    # The space after the first card is also the boundary before the second.
    assert codes(pii_flags({"answer": f"{VALID_CARD} {VALID_CARD}"})) == ["pii_card", "pii_card"]


def test_pii_does_not_flag_a_card_number_glued_to_a_word():
    assert pii_flags({"answer": f"ref{VALID_CARD.replace(' ', '')} is an order number"}) == []


def test_pii_flags_an_email_address_with_letters_beyond_ascii():
    flags = pii_flags({"answer": "Schreib an jörg.müller@example.de bitte."})

    assert flags == [{"code": "pii_email", "field": "answer", "match": "j***@e***.de"}]


def test_pii_flags_each_of_many_card_numbers_once():
    text = " and ".join([VALID_CARD] * 2_000)

    assert codes(pii_flags({"answer": text})) == ["pii_card"] * 2_000
