"""Agreement figures, checked against published worked examples.

Cohen's kappa: the worked example of the Wikipedia article "Cohen's kappa" (50 grant proposals
read by two readers: 20 both yes, 15 both no, 5 only A yes, 10 only B yes): p_o = 0.7, p_e = 0.5,
kappa = 0.4.

ROC AUC: Hanley & McNeil (1982), "The meaning and use of the area under a receiver operating
characteristic (ROC) curve", Radiology 143:29-36, Table 1: 109 CT images rated 1-5 by a
radiologist; 58 normal (33, 6, 6, 11, 2) and 51 abnormal (3, 2, 2, 11, 33); area 0.893.
"""

import pytest

from qa_app.agreement import Agreement, JudgeFit, agreement_figures, judge_fit, reviewer_agreement
from qa_app.models import QAPair, ReviewDecision
from tests.factories import QAPairFactory, ReviewDecisionFactory, TemplateVersionFactory, UserFactory

# (reader A, reader B): count
KAPPA_EXAMPLE = {
    ("approve", "approve"): 20,
    ("approve", "reject"): 5,
    ("reject", "approve"): 10,
    ("reject", "reject"): 15,
}
# rating: (normal, abnormal) — abnormal plays "approved", normal "rejected"
HANLEY_MCNEIL = {1: (33, 3), 2: (6, 2), 3: (6, 2), 4: (11, 11), 5: (2, 33)}


def test_kappa_of_the_worked_example_is_0_4():
    agreement = Agreement()
    for (first, second), count in KAPPA_EXAMPLE.items():
        agreement.add(first, second, count)

    assert agreement.percent_agreement == pytest.approx(70.0)
    assert agreement.kappa == pytest.approx(0.4)


def test_kappa_is_undefined_when_both_raters_always_give_the_same_answer():
    agreement = Agreement()
    agreement.add("approve", "approve", 10)

    assert agreement.kappa is None
    assert agreement.percent_agreement == 100


def test_auc_of_the_hanley_mcneil_example_is_0_893():
    fit = JudgeFit()
    for rating, (normal, abnormal) in HANLEY_MCNEIL.items():
        fit.add(rating, approved=abnormal, rejected=normal)

    assert fit.summary()["auc"] == pytest.approx(0.8932, abs=1e-4)


def test_the_best_threshold_is_the_one_that_agrees_most_with_the_humans():
    fit = JudgeFit()
    for rating, (normal, abnormal) in HANLEY_MCNEIL.items():
        fit.add(rating, approved=abnormal, rejected=normal)

    summary = fit.summary()

    # "Approve when rating >= 4": 44 of 51 abnormal and 45 of 58 normal agree, 89 of 109.
    assert summary["best_threshold"] == 4
    assert summary["agreement_at_best_threshold"] == pytest.approx(100 * 89 / 109, abs=1e-3)


def _two_reviewer_decisions(version, first, second, table):
    for (first_decision, second_decision), count in table.items():
        for _ in range(count):
            pair = QAPairFactory(decisions_needed=2, template_version=version)
            ReviewDecisionFactory(pair=pair, reviewer=first, decision=first_decision)
            ReviewDecisionFactory(pair=pair, reviewer=second, decision=second_decision)


def test_reviewer_agreement_from_the_database_matches_the_worked_example(db):
    version = TemplateVersionFactory()
    reader_a, reader_b = UserFactory(username="reader-a"), UserFactory(username="reader-b")
    _two_reviewer_decisions(version, reader_a, reader_b, KAPPA_EXAMPLE)

    figures = reviewer_agreement()

    assert figures["by_template_version"][version.pk].kappa == pytest.approx(0.4)
    assert figures["by_reviewer_pair"][(reader_a.pk, reader_b.pk)].kappa == pytest.approx(0.4)
    assert figures["overall"].percent_agreement == pytest.approx(70.0)


def test_reviewer_agreement_counts_approve_with_edits_as_approve(db):
    reader_a, reader_b = UserFactory(), UserFactory()
    pair = QAPairFactory(decisions_needed=2)
    ReviewDecisionFactory(pair=pair, reviewer=reader_a, decision=ReviewDecision.Decision.APPROVE_WITH_EDITS)
    ReviewDecisionFactory(pair=pair, reviewer=reader_b, decision=ReviewDecision.Decision.APPROVE)

    assert reviewer_agreement()["overall"].agreed == 1


def test_reviewer_agreement_leaves_out_adjudications_and_other_rounds(db):
    reader_a, reader_b, judge = UserFactory(), UserFactory(), UserFactory()
    pair = QAPairFactory(decisions_needed=2)
    ReviewDecisionFactory(pair=pair, reviewer=reader_a, decision="approve", round=1)
    ReviewDecisionFactory(pair=pair, reviewer=reader_b, decision="approve", round=2)
    ReviewDecisionFactory(pair=pair, reviewer=judge, decision="reject", round=2, is_adjudication=True)

    assert reviewer_agreement()["overall"].items == 0


def test_reviewer_agreement_is_one_query(db, django_assert_num_queries):
    _two_reviewer_decisions(TemplateVersionFactory(), UserFactory(), UserFactory(), KAPPA_EXAMPLE)

    with django_assert_num_queries(1):
        reviewer_agreement()


def _judged_pairs(version, table):
    for rating, (normal, abnormal) in table.items():
        for status, count in ((QAPair.ReviewStatus.REJECTED, normal), (QAPair.ReviewStatus.APPROVED, abnormal)):
            QAPairFactory.create_batch(
                count,
                review_status=status,
                template_version=version,
                scores={"llm_judge": {"score": rating / 5, "rationale": "…", "made_by": "model"}},
            )


def test_judge_auc_from_the_database_matches_the_hanley_mcneil_example(db, django_assert_num_queries):
    version = TemplateVersionFactory()
    _judged_pairs(version, HANLEY_MCNEIL)
    QAPairFactory(scores={"llm_judge": {"score": 0.9}})  # pending: no human decision yet, left out

    with django_assert_num_queries(1):
        figures = judge_fit()

    assert figures["overall"]["pairs"] == 109
    assert figures["overall"]["auc"] == pytest.approx(0.8932, abs=1e-4)
    assert figures["by_template_version"][version.pk]["best_threshold"] == pytest.approx(0.8)


def test_judge_fit_leaves_out_pairs_without_a_judge_score(db):
    QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED, scores={"completeness": 1.0})

    assert judge_fit()["overall"]["pairs"] == 0


def test_usernames_name_each_reviewer_pair(db):
    reader_a, reader_b = UserFactory(username="ann"), UserFactory(username="bob")
    _two_reviewer_decisions(None, reader_a, reader_b, {("approve", "approve"): 1})

    assert agreement_figures()["by_reviewer_pair"][0]["reviewers"] == ["ann", "bob"]
