"""quality_score: a weighted mean of components in [0, 1], all stored on the pair in `scores`.

The weights live here and only here (the README quotes them). Reviewers sort by the score; the
components say why a pair scored low.
"""

import re

WEIGHTS = {
    "completeness": 0.10,
    "length": 0.20,
    "lexical_diversity": 0.15,
    "pii": 0.20,
    "near_duplicate": 0.20,
    "locale": 0.15,
}
# The key in `scores` of an LLM judge's verdict (jobs_app/judge.py): shown beside the components,
# never weighed into quality_score, and kept when a pair is assessed again.
LLM_JUDGE_SCORE = "llm_judge"
# A question shorter than this many words is unlikely to say enough to be answered.
QUESTION_TARGET_WORDS = 4

_WORD = re.compile(r"\w+")


def length_adequacy(question: str, answer: str) -> float:
    """1 for a question of QUESTION_TARGET_WORDS words or more with a non-empty answer."""
    if not answer.strip():
        return 0.0
    return min(1.0, len(_WORD.findall(question)) / QUESTION_TARGET_WORDS)


def lexical_diversity(text: str) -> float:
    """Distinct words per word: text that repeats itself (a looping model) scores low."""
    words = _WORD.findall(text.casefold())
    return len(set(words)) / len(words) if words else 0.0


def completeness(record: dict) -> float:
    """Share of the required fields with content: 1 for every record that passed validation, so the
    score of content that skipped it (promoted by hand) stays comparable."""
    return sum(1 for name in ("question", "answer") if record.get(name, "").strip()) / 2


def quality(components: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The score and the rounded components; a missing component counts as fully met."""
    rounded = {name: round(float(components.get(name, 1.0)), 4) for name in WEIGHTS}
    score = sum(WEIGHTS[name] * value for name, value in rounded.items())
    return round(min(1.0, max(0.0, score)), 4), rounded


def components_for(record: dict, flags: list[dict]) -> dict[str, float]:
    """Components from the record's text and the flags the checks raised."""
    near = next((flag for flag in flags if flag["code"] == "near_duplicate"), None)
    return {
        "completeness": completeness(record),
        "length": length_adequacy(record["question"], record["answer"]),
        "lexical_diversity": lexical_diversity(f"{record['question']} {record['answer']}"),
        "pii": 0.0 if any(flag["code"].startswith("pii_") for flag in flags) else 1.0,
        "near_duplicate": 1.0 - near["similarity"] if near else 1.0,
        "locale": 0.0 if any(flag["code"] == "locale_mismatch" for flag in flags) else 1.0,
    }
