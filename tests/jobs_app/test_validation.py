"""Validation and scoring of generated records: each check, and what a run stores from it."""

import pytest
from jsonschema import Draft202012Validator

from jobs_app.models import RejectedArtifact
from jobs_app.validation.completeness import completeness_reasons
from qa_app.assessment.language import detect_language, locale_mismatch
from qa_app.assessment.pii import pii_flags
from qa_app.assessment.scoring import WEIGHTS, components_for, quality
from qa_app.models import QAPair
from qa_app.services import qa_pair_create, qa_pair_edit

VALID_CARD = "4111 1111 1111 1111"
INVALID_CARD = "4111 1111 1111 1112"
VALID_IBAN = "DE89 3704 0044 0532 0130 00"
INVALID_IBAN = "DE89 3704 0044 0532 0130 01"
GERMAN = "Warum braucht ein Sauerteig regelmäßig frisches Mehl und Wasser, damit er in der Küche aktiv bleibt?"
FREE_SCHEMA = {"type": "object", "required": ["question", "answer"]}

SOURDOUGH_QUESTION = (
    "Why does a sourdough starter need regular feeding with flour and water to stay active and healthy in a "
    "warm kitchen?"
)
SOURDOUGH_ANSWER = (
    "Because the wild yeast and lactic acid bacteria in the starter eat the sugars in fresh flour; without new "
    "flour they run out of food, the acidity rises, and the culture slows down until it can no longer raise a "
    "loaf of bread."
)
# One word changed: about 0.94 similar.
NEAR_QUESTION = SOURDOUGH_QUESTION.replace("warm", "cool")
# Several phrases reworded: about 0.6 similar, below the 0.85 threshold.
REWORDED_ANSWER = (
    SOURDOUGH_ANSWER.replace("wild yeast and lactic acid bacteria", "microbes")
    .replace("raise a loaf of bread", "leaven dough")
    .replace("the acidity rises", "acids build up")
)


def codes(flags: list[dict]) -> list[str]:
    return [flag["code"] for flag in flags]


@pytest.fixture
def free_text_version(publish):
    """An approved version whose question and answer come from `q` and `a`, cycled in order."""

    def make(questions: list[str], answers: list[str]):
        return publish(
            question_template="{{ q }}",
            answer_template="{{ a }}",
            variables={
                "q": {"sampler": "list", "values": questions},
                "a": {"sampler": "list", "values": answers},
            },
            output_schema=FREE_SCHEMA,
        )

    return make


def test_pii_flags_an_email_address_masked():
    flags = pii_flags({"answer": "Write to jane.doe@example.com for details."})

    assert flags == [{"code": "pii_email", "field": "answer", "match": "j***@e***.com"}]


def test_pii_flags_a_card_number_that_passes_luhn():
    flags = pii_flags({"answer": f"Pay with {VALID_CARD} today."})

    assert flags == [{"code": "pii_card", "field": "answer", "match": "************1111"}]


def test_pii_ignores_a_card_number_that_fails_luhn():
    assert pii_flags({"answer": f"Pay with {INVALID_CARD} today."}) == []


def test_pii_flags_a_valid_iban():
    flags = pii_flags({"context": f"Transfer it to {VALID_IBAN} please."})

    assert flags == [{"code": "pii_iban", "field": "context", "match": "DE89**************3000"}]


def test_pii_ignores_an_iban_with_a_wrong_checksum():
    assert pii_flags({"context": f"Transfer it to {INVALID_IBAN} please."}) == []


def test_pii_flags_an_international_phone_number():
    flags = pii_flags({"answer": "Call +49 30 901820 in the morning."})

    assert codes(flags) == ["pii_phone"]
    assert flags[0]["field"] == "answer"


def test_pii_flags_a_national_phone_number_in_the_locales_region():
    assert codes(pii_flags({"answer": "Call (202) 555-0143 now."}, region="US")) == ["pii_phone"]


def test_pii_does_not_flag_the_numbers_of_arithmetic():
    assert pii_flags({"question": "What is 1234567 plus 7654321?", "answer": "8888888"}, region="US") == []


def test_pii_flags_never_hold_the_full_match():
    text = f"jane.doe@example.com, {VALID_CARD}, {VALID_IBAN}, +49 30 901820"

    flags = pii_flags({"answer": text})

    assert sorted(codes(flags)) == ["pii_card", "pii_email", "pii_iban", "pii_phone"]
    for flag in flags:
        assert flag["match"] not in text
        assert "jane.doe" not in flag["match"]
        assert "1111 1111 1111" not in flag["match"].replace("*", "")


def test_locale_mismatch_flags_german_text_for_locale_en():
    flag = locale_mismatch(GERMAN, "en", min_chars=40, min_confidence=0.9)

    assert flag["code"] == "locale_mismatch"
    assert (flag["expected"], flag["detected"]) == ("en", "de")
    assert flag["confidence"] >= 0.9


def test_locale_mismatch_is_not_flagged_for_the_locales_own_language():
    assert locale_mismatch(GERMAN, "de-CH", min_chars=40, min_confidence=0.9) is None


def test_locale_mismatch_is_not_flagged_for_short_text():
    assert locale_mismatch("Wie viel ist zwei plus drei?", "en", min_chars=40, min_confidence=0.9) is None


def test_a_plain_spanish_sentence_is_detected_as_spanish():
    # py3langid, the identifier before, called it Extremaduran ("ext", 0.51).
    language, confidence = detect_language("¿Cuál es la capital de España? La capital de España es Madrid.")

    assert language == "es"
    assert confidence >= 0.9


def test_a_question_and_answer_on_several_lines_are_detected_together():
    # fastText itself refuses a newline (ValueError); the question and answer are judged as one text:
    # the first line alone would not be German.
    text = "Why?\nWeil die Hefen und Milchsäurebakterien im Teig den Zucker\nim frischen Mehl fressen."

    language, _ = detect_language(text)

    assert language == "de"


def test_a_question_and_answer_in_capitals_are_detected_as_english():
    # fastText takes English in capitals for German (0.36) unless it is lower-cased first.
    language, confidence = detect_language("WHAT IS THE CAPITAL OF FRANCE? THE CAPITAL OF FRANCE IS PARIS.")

    assert language == "en"
    assert confidence >= 0.9


def test_locale_mismatch_judges_text_whose_letters_come_after_a_long_run_of_numbers():
    text = "1, 2, 3, " * 40 + GERMAN

    flag = locale_mismatch(text, "en", min_chars=40, min_confidence=0.5)

    assert (flag["expected"], flag["detected"]) == ("en", "de")


def test_completeness_keeps_the_empty_field_reason():
    reasons = completeness_reasons(
        {"question": " ", "answer": "4", "context": ""}, Draft202012Validator(FREE_SCHEMA), min_answer_chars=1
    )

    assert [reason["code"] for reason in reasons] == ["empty_field"]


def test_completeness_rejects_an_answer_below_the_minimum_length():
    reasons = completeness_reasons(
        {"question": "What is two plus two?", "answer": "4", "context": ""},
        Draft202012Validator(FREE_SCHEMA),
        min_answer_chars=3,
    )

    assert [reason["code"] for reason in reasons] == ["too_short"]


def test_quality_weights_sum_to_one():
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_quality_score_is_lower_for_a_flagged_record():
    record = {"question": "Where can I reach the support team?", "answer": "By phone.", "context": ""}
    clean, _ = quality(components_for(record, []))

    flagged, components = quality(components_for(record, [{"code": "pii_phone", "field": "answer", "match": "**"}]))

    assert 0 <= flagged < clean <= 1
    assert components["pii"] == 0.0


def test_run_stores_a_quality_score_in_the_unit_interval_with_its_components(approved_version, run_job):
    job = run_job(approved_version, record_count=5)

    pairs = list(QAPair.objects.filter(job=job))
    assert len(pairs) == job.accepted_records > 0
    for pair in pairs:
        assert 0 <= pair.quality_score <= 1
        assert set(pair.scores) == set(WEIGHTS)
        assert pair.quality_score == pytest.approx(sum(WEIGHTS[name] * pair.scores[name] for name in WEIGHTS), abs=1e-3)


def test_run_flags_pii_on_the_pair_by_default(free_text_version, run_job):
    version = free_text_version(["How do I pay the invoice?"], [f"Use the card {VALID_CARD}."])

    job = run_job(version, record_count=1)

    pair = QAPair.objects.get(job=job)
    assert pair.flags == [{"code": "pii_card", "field": "answer", "match": "************1111"}]
    assert pair.scores["pii"] == 0.0


def test_run_rejects_pii_when_set_to_reject(free_text_version, run_job, settings):
    settings.SYNTHGOV_PII_ACTION = "reject"
    version = free_text_version(["How do I pay the invoice?"], [f"Use the card {VALID_CARD}."])

    job = run_job(version, record_count=1)

    assert not QAPair.objects.filter(job=job).exists()
    artifact = RejectedArtifact.objects.get(job=job)
    assert [reason["code"] for reason in artifact.reasons] == ["pii"]
    assert VALID_CARD not in artifact.reasons[0]["message"]
    assert job.output_manifest["rejection_reasons"] == {"pii": 1}


def test_run_flags_german_text_in_a_job_for_locale_en(free_text_version, run_job):
    version = free_text_version([GERMAN], ["Weil die Hefe sonst kein Futter mehr hat."])

    job = run_job(version, record_count=1, locale="en")

    assert codes(QAPair.objects.get(job=job).flags) == ["locale_mismatch"]


def test_run_flags_a_near_duplicate_with_the_pair_it_resembles(free_text_version, run_job):
    first = run_job(free_text_version([SOURDOUGH_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)
    original = QAPair.objects.get(job=first)

    second = run_job(free_text_version([NEAR_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)

    pair = QAPair.objects.get(job=second)
    [flag] = pair.flags
    assert (flag["code"], flag["of"]) == ("near_duplicate", original.pk)
    assert 0.85 <= flag["similarity"] < 1
    assert pair.scores["near_duplicate"] == pytest.approx(1 - flag["similarity"])


def test_run_flags_a_near_duplicate_of_an_earlier_record_of_the_same_batch(free_text_version, run_job):
    version = free_text_version([SOURDOUGH_QUESTION, NEAR_QUESTION], [SOURDOUGH_ANSWER, SOURDOUGH_ANSWER])

    job = run_job(version, record_count=2)

    first, second = QAPair.objects.filter(job=job).order_by("record_index")
    assert first.flags == []
    assert [(flag["code"], flag["of"]) for flag in second.flags] == [("near_duplicate", first.pk)]


def test_run_flags_a_near_duplicate_of_an_earlier_batch_of_the_same_job(free_text_version, run_job, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 1
    version = free_text_version([SOURDOUGH_QUESTION, NEAR_QUESTION], [SOURDOUGH_ANSWER, SOURDOUGH_ANSWER])

    job = run_job(version, record_count=2)

    first, second = QAPair.objects.filter(job=job).order_by("record_index")
    assert [(flag["code"], flag["of"]) for flag in second.flags] == [("near_duplicate", first.pk)]


def test_run_does_not_flag_content_below_the_near_duplicate_threshold(free_text_version, run_job):
    run_job(free_text_version([SOURDOUGH_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)

    second = run_job(free_text_version([SOURDOUGH_QUESTION], [REWORDED_ANSWER]), record_count=1)

    assert QAPair.objects.get(job=second).flags == []


def test_run_does_not_flag_a_near_duplicate_of_another_jobs_preview(free_text_version, run_job, unpublished_draft):
    unpublished_draft.question_template = "{{ q }}"
    unpublished_draft.answer_template = "{{ a }}"
    unpublished_draft.variables = {
        "q": {"sampler": "list", "values": [SOURDOUGH_QUESTION]},
        "a": {"sampler": "list", "values": [SOURDOUGH_ANSWER]},
    }
    unpublished_draft.output_schema = FREE_SCHEMA
    unpublished_draft.save()
    run_job(unpublished_draft, production=False, record_count=1)

    job = run_job(free_text_version([NEAR_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)

    assert QAPair.objects.get(job=job).flags == []


def test_run_flags_a_near_duplicate_of_a_pair_a_person_wrote(free_text_version, run_job, reviewer):
    typed = qa_pair_create(
        pair=QAPair(question=SOURDOUGH_QUESTION, answer=SOURDOUGH_ANSWER, tenant_id="acme"), acting_user=reviewer
    )

    job = run_job(free_text_version([NEAR_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)

    assert [(flag["code"], flag["of"]) for flag in QAPair.objects.get(job=job).flags] == [("near_duplicate", typed.pk)]


def test_run_compares_with_the_current_text_of_an_edited_pair(free_text_version, run_job, reviewer):
    typed = qa_pair_create(
        pair=QAPair(question="Which flour suits a starter?", answer="Rye flour.", tenant_id="acme"),
        acting_user=reviewer,
    )
    qa_pair_edit(pair=typed, acting_user=reviewer, question=SOURDOUGH_QUESTION, answer=SOURDOUGH_ANSWER)

    job = run_job(free_text_version([NEAR_QUESTION], [SOURDOUGH_ANSWER]), record_count=1)

    assert [(flag["code"], flag["of"]) for flag in QAPair.objects.get(job=job).flags] == [("near_duplicate", typed.pk)]
