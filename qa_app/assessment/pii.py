"""PII flags: e-mail addresses, phone numbers, payment cards (Luhn) and IBANs (ISO 7064 checksum).

Regexes find candidate spans; python-stdnum and phonenumbers decide. A flag never carries the
full match, only a masked form a reviewer can recognise.

The candidate patterns run on RE2 (linear in the text: with Python's `re`, the e-mail pattern took
20 s on `"a" * 64000 + "@"`), over the field's UTF-8 bytes, encoded once. RE2 has no lookaround, so
a pattern that must not touch a word on either side consumes one boundary character on each side
and captures the candidate in group 1; the next search starts at the candidate's end, so the
boundary after one candidate can be the boundary before the next.
"""

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate

import phonenumbers
from stdnum import iban, luhn

from synthgov.regex import linear

# Python's `\w` and `\d` on text (RE2's are ASCII): letters and digits of every script.
_WORD = r"\pL\pN_"
_DIGIT = r"\p{Nd}"

EMAIL = linear(rf"[{_WORD}.+-]+@[{_WORD}-]+(?:\.[{_WORD}-]+)*\.[A-Za-z]{{2,}}".encode())
# 13-19 digits, optionally grouped by spaces or hyphens.
CARD = linear(rf"(?:^|[^{_WORD}-])({_DIGIT}(?:[ -]?{_DIGIT}){{12,18}})(?:[^{_WORD}-]|$)".encode())
IBAN = linear(rf"(?:^|[^A-Za-z0-9])([A-Z]{{2}}{_DIGIT}{{2}}(?: ?[A-Z0-9]){{11,30}})(?:[^A-Za-z0-9]|$)".encode())
# Formatted like a phone number: a leading + or 00, or digit groups split by separators.
PHONE = linear(rf"(?:^|[^{_WORD}+])((?:\+|00)?\(?{_DIGIT}[{_DIGIT} ().\-/]{{5,}}{_DIGIT})(?:[^{_WORD}]|$)".encode())
PHONE_SEPARATORS = re.compile(r"[ ().\-/]")
TEXT_PATTERNS = (EMAIL, CARD, IBAN, PHONE)
# Whether a text has a decimal digit (\p{Nd}, what the card, IBAN and phone patterns need) at
# all: one C-speed search instead of a Python test per character (0.26 ms of a 1 KB record).
HAS_DIGIT = re.compile(r"\d")


def _candidates(pattern, data: bytes) -> Iterator[tuple[tuple[int, int], str]]:
    """(byte span, text) of each candidate: the whole match, or group 1 for a bounded pattern."""
    if not pattern.groups:
        for match in pattern.finditer(data):
            yield match.span(), match.group().decode()
        return
    position = 0
    while (match := pattern.search(data, position)) is not None:
        start, end = match.span(1)
        yield (start, end), data[start:end].decode()
        position = end


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _mask(text: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    compact = re.sub(r"[\s-]", "", text)
    if len(compact) <= keep_start + keep_end:
        return "*" * len(compact)
    return compact[:keep_start] + "*" * (len(compact) - keep_start - keep_end) + compact[len(compact) - keep_end :]


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    host, _, suffix = domain.rpartition(".")
    return f"{local[:1]}***@{host[:1]}***.{suffix}"


def _flag(code: str, field: str, masked: str) -> dict:
    return {"code": code, "field": field, "match": masked}


def _overlap_test(taken: list[tuple[int, int]]) -> Callable[[tuple[int, int]], bool]:
    """Whether a span overlaps one of `taken`, in O(log n) a span (a field can hold thousands of numbers).

    Built before each pattern's loop: the candidates of one pattern never overlap each other, so a
    loop only needs to test against what the earlier patterns took.
    """
    spans = sorted(taken)
    starts = [start for start, _ in spans]
    reach = list(accumulate((end for _, end in spans), max))

    def overlaps(span: tuple[int, int]) -> bool:
        before = bisect_left(starts, span[1])
        return before > 0 and reach[before - 1] > span[0]

    return overlaps


def _is_phone(candidate: str, region: str | None) -> bool:
    international = candidate.startswith(("+", "00"))
    if not international and not PHONE_SEPARATORS.search(candidate):
        # A bare run of digits is an amount or an identifier far more often than a phone number.
        return False
    if not 7 <= len(_digits(candidate)) <= 15:
        return False
    try:
        number = phonenumbers.parse(
            "+" + candidate[2:] if candidate.startswith("00") else candidate, None if international else region
        )
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def pii_flags(fields: dict[str, str], *, region: str | None = None) -> list[dict]:
    """Flags for every e-mail, phone number, valid card number and valid IBAN in the fields.

    `region` (ISO 3166 alpha-2, from the job's locale) lets phone numbers without a country code
    be recognised; without one only international numbers are.
    """
    flags = []
    for field, text in fields.items():
        if not text:
            continue
        data = text.encode()
        taken: list[tuple[int, int]] = []
        if "@" in text:
            for span, address in _candidates(EMAIL, data):
                taken.append(span)
                flags.append(_flag("pii_email", field, mask_email(address)))
        if not HAS_DIGIT.search(text):
            continue
        for span, candidate in _candidates(IBAN, data):
            # Taken even when invalid: its digits are an account number's, not a card's.
            taken.append(span)
            if iban.is_valid(candidate):
                flags.append(_flag("pii_iban", field, _mask(candidate, keep_start=4)))
        overlaps = _overlap_test(taken)
        for span, candidate in _candidates(CARD, data):
            if not overlaps(span) and luhn.is_valid(_digits(candidate)):
                taken.append(span)
                flags.append(_flag("pii_card", field, _mask(candidate)))
        if region is not None or "+" in text or "00" in text:
            overlaps = _overlap_test(taken)
            for span, match in _candidates(PHONE, data):
                candidate = match.strip()
                if not overlaps(span) and _is_phone(candidate, region):
                    taken.append(span)
                    flags.append(_flag("pii_phone", field, _mask(candidate, keep_start=0, keep_end=2)))
    return flags
