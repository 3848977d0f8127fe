"""Faker values, deterministic per (seed, record index, variable) and in the job's locale.

One Faker instance per locale serves every job in the process; each value reseeds it first,
so a value never depends on what was drawn before it. The lock keeps seed and draw together
when threads share an instance (the development server, previews).
"""

import functools
import threading

from .errors import SpecError

# Methods that take no arguments and exist in every locale (they come from Faker's base
# providers). Anything else (random_element, pystr, ...) could take arbitrary input or ignore
# the locale.
FAKER_PROVIDERS = (
    "address",
    "building_number",
    "catch_phrase",
    "city",
    "color_name",
    "company",
    "company_suffix",
    "country",
    "country_calling_code",
    "currency_code",
    "currency_name",
    "first_name",
    "first_name_female",
    "first_name_male",
    "iban",
    "job",
    "last_name",
    "license_plate",
    "name",
    "name_female",
    "name_male",
    "phone_number",
    "postcode",
    "safe_domain_name",
    "safe_email",
    "street_address",
    "street_name",
    "user_name",
)
PERSON_PARTS = {"full": "name", "first": "first_name", "last": "last_name"}
# A bare language takes its main country's locale; for English that is not "en_EN".
LANGUAGE_LOCALES = {"en": "en_US"}

_lock = threading.Lock()


def faker_locale(locale: str) -> str:
    """Faker's locale for a job locale such as "en", "de", "de-DE" or "pt_BR"; SpecError if none fits."""
    from faker.config import AVAILABLE_LOCALES

    language, _, country = (locale or "en").replace("-", "_").partition("_")
    language = language.lower()
    candidates = [f"{language}_{country.upper()}"] if country else []
    candidates += [LANGUAGE_LOCALES.get(language, f"{language}_{language.upper()}"), language]
    for candidate in candidates:
        if candidate in AVAILABLE_LOCALES:
            return candidate
    same_language = sorted(available for available in AVAILABLE_LOCALES if available.startswith(f"{language}_"))
    if same_language:
        return same_language[0]
    raise SpecError([f"Faker has no locale for {locale!r}"])


@functools.lru_cache(maxsize=32)
def faker_for(locale: str):
    from faker import Faker

    return Faker(locale)


def fake(locale: str, method: str, seed: str) -> str:
    instance = faker_for(locale)
    with _lock:
        instance.seed_instance(seed)
        return str(getattr(instance, method)())
