"""PII flags: e-mail addresses, phone numbers, payment cards (Luhn) and IBANs (ISO 7064 checksum).

Regexes find candidate spans; python-stdnum and phonenumbers decide. A flag never carries the
full match, only a masked form a reviewer can recognise.
"""

import re

import phonenumbers
from stdnum import iban, luhn

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# 13-19 digits, optionally grouped by spaces or hyphens.
CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
# Formatted like a phone number: a leading + or 00, or digit groups split by separators.
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().\-/]{5,}\d(?!\w)")
PHONE_SEPARATORS = re.compile(r"[ ().\-/]")


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


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


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
        taken: list[tuple[int, int]] = []
        if "@" in text:
            for match in EMAIL.finditer(text):
                taken.append(match.span())
                flags.append(_flag("pii_email", field, mask_email(match.group())))
        if not any(character.isdigit() for character in text):
            continue
        for match in IBAN.finditer(text):
            # Taken even when invalid: its digits are an account number's, not a card's.
            taken.append(match.span())
            if iban.is_valid(match.group()):
                flags.append(_flag("pii_iban", field, _mask(match.group(), keep_start=4)))
        for match in CARD.finditer(text):
            if not _overlaps(match.span(), taken) and luhn.is_valid(_digits(match.group())):
                taken.append(match.span())
                flags.append(_flag("pii_card", field, _mask(match.group())))
        if region is not None or "+" in text or "00" in text:
            for match in PHONE.finditer(text):
                candidate = match.group().strip()
                if not _overlaps(match.span(), taken) and _is_phone(candidate, region):
                    taken.append(match.span())
                    flags.append(_flag("pii_phone", field, _mask(candidate, keep_start=0, keep_end=2)))
    return flags


def pii_reason(flags: list[dict]) -> dict:
    """The rejection reason when PII is configured to reject rather than flag."""
    found = ", ".join(f"{flag['code'].removeprefix('pii_')} in {flag['field']} ({flag['match']})" for flag in flags)
    return {"code": "pii", "message": f"personal data found: {found}"}
