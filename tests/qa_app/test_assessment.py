"""Every pair is assessed on every change: flags, scores and near-duplicate links, whatever made it."""

from jobs_app.services import rejected_artifact_promote
from qa_app.assessment import LLM_JUDGE_SCORE
from qa_app.models import NearDuplicateBucket, QAPair
from qa_app.services import qa_pair_create, qa_pair_edit
from tests.factories import QAPairFactory

VALID_CARD = "4111 1111 1111 1111"
CLEAN_QUESTION = "Which colour do you get when you mix blue and yellow paint together?"
CLEAN_ANSWER = "You get green when you mix blue and yellow paint."
PII_ANSWER = f"Write to jane.doe@example.com and pay with card {VALID_CARD} for the green paint."
# A near copy of CLEAN_*: one word of the question differs.
NEAR_QUESTION = "Which colour do you get when you mix blue and yellow paints together?"
LONG_ANSWER = (
    "You get green when you mix blue and yellow paint, as every painter learns in the first lesson of"
    " colour theory, together with the other secondary colours orange and violet."
)


def codes(pair) -> list[str]:
    return sorted(flag["code"] for flag in pair.flags)


def create(user, **fields) -> QAPair:
    pair = QAPair(**{"question": CLEAN_QUESTION, "answer": CLEAN_ANSWER, "tenant_id": "acme", **fields})
    return qa_pair_create(pair=pair, acting_user=user)


def test_an_operator_pair_with_an_email_and_a_valid_card_is_flagged(db, reviewer):
    pair = create(reviewer, answer=PII_ANSWER)

    pair.refresh_from_db()
    assert codes(pair) == ["pii_card", "pii_email"]
    assert pair.scores["pii"] == 0.0


def test_an_operator_pair_with_pii_scores_lower_than_one_without(db, reviewer):
    clean = create(reviewer)
    flagged = create(reviewer, answer=PII_ANSWER)

    assert flagged.quality_score < clean.quality_score


def test_an_operator_pair_gets_a_quality_score_and_its_components(db, reviewer):
    pair = create(reviewer)

    pair.refresh_from_db()
    assert pair.quality_score is not None
    assert set(pair.scores) >= {"completeness", "length", "pii", "near_duplicate", "locale"}


def test_an_operator_pair_close_to_another_is_linked_to_it(db, reviewer):
    first = create(reviewer, answer=LONG_ANSWER)

    second = create(reviewer, question=NEAR_QUESTION, answer=LONG_ANSWER)

    [flag] = second.flags
    assert (flag["code"], flag["of"]) == ("near_duplicate", first.pk)


def test_editing_a_pairs_text_to_add_pii_flags_it(db, reviewer):
    pair = create(reviewer)
    score_before = pair.quality_score

    qa_pair_edit(pair=pair, acting_user=reviewer, answer=PII_ANSWER)

    pair.refresh_from_db()
    assert codes(pair) == ["pii_card", "pii_email"]
    assert pair.quality_score < score_before


def test_editing_the_pii_away_clears_the_flags_and_restores_the_score(db, reviewer):
    clean_score = create(reviewer, tenant_id="globex").quality_score
    pair = create(reviewer, answer=PII_ANSWER)

    qa_pair_edit(pair=pair, acting_user=reviewer, answer=CLEAN_ANSWER)

    pair.refresh_from_db()
    assert pair.flags == []
    assert pair.quality_score == clean_score


def test_editing_a_pair_replaces_its_buckets_with_those_of_its_new_text(db, reviewer):
    pair = create(reviewer, answer=LONG_ANSWER)
    before = set(NearDuplicateBucket.objects.filter(pair_id=pair.pk).values_list("bucket", flat=True))

    qa_pair_edit(pair=pair, acting_user=reviewer, question="Name the capital city of France, please.", answer="Paris")

    after = set(NearDuplicateBucket.objects.filter(pair_id=pair.pk).values_list("bucket", flat=True))
    assert before
    assert after
    assert not before & after


def test_an_edited_pair_is_no_near_duplicate_of_its_own_earlier_text(db, reviewer):
    pair = create(reviewer, answer=LONG_ANSWER)

    qa_pair_edit(pair=pair, acting_user=reviewer, question=NEAR_QUESTION)

    pair.refresh_from_db()
    assert pair.flags == []


def test_reassessing_keeps_the_judges_verdict(db, reviewer):
    judgement = {"score": 0.9, "rationale": "fine", "made_by": "model"}
    pair = QAPairFactory(question=CLEAN_QUESTION, answer=CLEAN_ANSWER, scores={LLM_JUDGE_SCORE: judgement})

    qa_pair_edit(pair=pair, acting_user=reviewer, answer=PII_ANSWER)

    pair.refresh_from_db()
    assert pair.scores[LLM_JUDGE_SCORE] == judgement
    assert codes(pair) == ["pii_card", "pii_email"]


def test_a_promoted_artifact_is_assessed(rejected_artifact, reviewer):
    pair = rejected_artifact_promote(
        artifact=rejected_artifact, acting_user=reviewer, question=CLEAN_QUESTION, answer=PII_ANSWER, context=""
    )

    pair.refresh_from_db()
    assert codes(pair) == ["pii_card", "pii_email"]
    assert pair.scores["pii"] == 0.0
    assert NearDuplicateBucket.objects.filter(pair_id=pair.pk).exists()


def test_a_promoted_artifact_close_to_a_pair_is_linked_to_it(rejected_artifact, reviewer):
    earlier = create(reviewer, answer=LONG_ANSWER)

    pair = rejected_artifact_promote(
        artifact=rejected_artifact, acting_user=reviewer, question=NEAR_QUESTION, answer=LONG_ANSWER, context=""
    )

    assert [(flag["code"], flag["of"]) for flag in pair.flags] == [("near_duplicate", earlier.pk)]
