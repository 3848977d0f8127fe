"""How far reviewers agree with each other, and how well an LLM judge's score predicts their decisions.

Each figure comes from one aggregate query (counts grouped by the decisions being compared) and
arithmetic over those counts in one pass; nothing is computed per pair in Python.

- Reviewer agreement: over pairs decided by two reviewers in the same round (decisions needed: 2),
  the first decision against the second, approve (with or without edits) or reject. Percent
  agreement is the share of pairs on which they agree; Cohen's kappa corrects it for the agreement
  that chance alone would give, from each side's own approval rate: kappa = (p_o - p_e) / (1 - p_e).
  Per template version the raters are "first" and "second" reviewer; per reviewer pair they are
  the two people (the one with the smaller id first).
- Judge: over decided pairs that an LLM judge scored, the ROC AUC of its score as a predictor of
  approval (the Mann-Whitney U over the score's distinct values: the chance that an approved pair
  scored higher than a rejected one, ties counting half), and the best threshold t for the rule
  "approve when score ≥ t" with the share of pairs on which that rule agrees with the humans.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, FloatField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from tenants_app.scoping import for_user, tenant_keys_visible_to

from .assessment import LLM_JUDGE_SCORE
from .models import QAPair, ReviewDecision

APPROVE, REJECT = "approve", "reject"
CATEGORIES = (APPROVE, REJECT)


@dataclass
class Agreement:
    """Two raters' decisions on the same items: counts[(first, second)] of approve/reject."""

    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, first: str, second: str, count: int = 1) -> None:
        self.counts[(first, second)] += count

    @property
    def items(self) -> int:
        return sum(self.counts.values())

    @property
    def agreed(self) -> int:
        return sum(count for (first, second), count in self.counts.items() if first == second)

    @property
    def percent_agreement(self) -> float | None:
        return 100 * self.agreed / self.items if self.items else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None when undefined (no items, or both raters always gave one same answer)."""
        total = self.items
        if not total:
            return None
        observed = self.agreed / total
        expected = sum(
            sum(self.counts[(category, other)] for other in CATEGORIES)
            * sum(self.counts[(other, category)] for other in CATEGORIES)
            for category in CATEGORIES
        ) / (total * total)
        if expected == 1:
            return None
        return (observed - expected) / (1 - expected)

    def as_dict(self) -> dict:
        return {
            "pairs": self.items,
            "agreed": self.agreed,
            "percent_agreement": _rounded(self.percent_agreement),
            "kappa": _rounded(self.kappa),
        }


@dataclass
class JudgeFit:
    """Distinct judge scores with how many decided pairs at each score were approved and rejected."""

    by_score: dict[float, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, score: float, *, approved: int, rejected: int) -> None:
        counts = self.by_score[score]
        counts[0] += approved
        counts[1] += rejected

    def summary(self) -> dict:
        """ROC AUC and the best "approve when score ≥ threshold" rule, in one pass over sorted scores."""
        approved = sum(counts[0] for counts in self.by_score.values())
        rejected = sum(counts[1] for counts in self.by_score.values())
        total = approved + rejected
        result = {"pairs": total, "approved": approved, "rejected": rejected, "auc": None}
        result |= {"best_threshold": None, "agreement_at_best_threshold": None}
        if not total:
            return result
        u = 0.0
        rejected_below = 0
        # Threshold at the lowest score: every pair is predicted approved.
        agreeing = approved
        best = (agreeing, min(self.by_score))
        for score in sorted(self.by_score):
            approved_here, rejected_here = self.by_score[score]
            u += approved_here * (rejected_below + rejected_here / 2)
            rejected_below += rejected_here
            # Moving the threshold above this score: its approved pairs are now predicted rejected.
            agreeing += rejected_here - approved_here
            if agreeing > best[0]:
                best = (agreeing, _next_score_above(score, self.by_score))
        if approved and rejected:
            result["auc"] = _rounded(u / (approved * rejected))
        result["best_threshold"] = best[1]
        result["agreement_at_best_threshold"] = _rounded(100 * best[0] / total)
        return result


def _next_score_above(score: float, scores) -> float | None:
    """The threshold just above `score`: the next distinct score (None: above every score, approve nothing)."""
    higher = [other for other in scores if other > score]
    return min(higher) if higher else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _decision_pairs_sql(tenant_count: int | None = None) -> str:
    """First and second reviewer decision of the same pair and round, counted per version and people;
    with `tenant_count`, only pairs of that many tenants (given as parameters after the two flags)."""
    quote = connection.ops.quote_name
    decisions, pairs = quote(ReviewDecision._meta.db_table), quote(QAPair._meta.db_table)
    first = f"CASE WHEN a.decision = '{REJECT}' THEN '{REJECT}' ELSE '{APPROVE}' END"
    second = f"CASE WHEN b.decision = '{REJECT}' THEN '{REJECT}' ELSE '{APPROVE}' END"
    return (
        f"SELECT p.template_version_id, a.reviewer_id, b.reviewer_id, {first}, {second}, COUNT(*) "
        f"FROM {decisions} a JOIN {decisions} b ON b.pair_id = a.pair_id AND b.round = a.round AND b.id > a.id "
        f"JOIN {pairs} p ON p.id = a.pair_id "
        "WHERE a.is_adjudication = %s AND b.is_adjudication = %s "
        + ("" if tenant_count is None else f"AND p.tenant_id IN ({', '.join(['%s'] * tenant_count)}) ")
        + f"GROUP BY p.template_version_id, a.reviewer_id, b.reviewer_id, {first}, {second}"
    )


def reviewer_agreement(tenant_keys: frozenset[str] | None = None) -> dict:
    """Agreement of the two reviewers of each round, per template version and per reviewer pair (one
    query); over the pairs of `tenant_keys` only, unless None (every tenant)."""
    by_version: dict[int | None, Agreement] = defaultdict(Agreement)
    by_people: dict[tuple[int, int], Agreement] = defaultdict(Agreement)
    overall = Agreement()
    with connection.cursor() as cursor:
        if tenant_keys is None:
            cursor.execute(_decision_pairs_sql(), [False, False])
        elif not tenant_keys:
            return {"overall": overall, "by_template_version": {}, "by_reviewer_pair": {}}
        else:
            cursor.execute(_decision_pairs_sql(len(tenant_keys)), [False, False, *sorted(tenant_keys)])
        rows = cursor.fetchall()
    for version_id, first_id, second_id, first, second, count in rows:
        by_version[version_id].add(first, second, count)
        overall.add(first, second, count)
        if first_id > second_id:
            first_id, second_id, first, second = second_id, first_id, second, first
        by_people[(first_id, second_id)].add(first, second, count)
    return {"overall": overall, "by_template_version": dict(by_version), "by_reviewer_pair": dict(by_people)}


def judge_fit(user=None) -> dict:
    """How well the LLM judge's score predicts the human decision, overall and per template version (one
    query); over the pairs `user` sees (None: every pair)."""
    decided = [QAPair.ReviewStatus.APPROVED, QAPair.ReviewStatus.REJECTED]
    pairs = QAPair.objects.all() if user is None else for_user(QAPair.objects.all(), user)
    rows = (
        pairs.filter(review_status__in=decided)
        .annotate(judge_score=Cast(KT(f"scores__{LLM_JUDGE_SCORE}__score"), FloatField()))
        .filter(judge_score__isnull=False)
        .values("template_version_id", "judge_score")
        .annotate(
            approved=Count("pk", filter=Q(review_status=QAPair.ReviewStatus.APPROVED)),
            rejected=Count("pk", filter=Q(review_status=QAPair.ReviewStatus.REJECTED)),
        )
        .order_by()
    )
    overall, by_version = JudgeFit(), defaultdict(JudgeFit)
    for row in rows:
        for fit in (overall, by_version[row["template_version_id"]]):
            fit.add(row["judge_score"], approved=row["approved"], rejected=row["rejected"])
    summaries = {key: fit.summary() for key, fit in by_version.items()}
    return {"overall": overall.summary(), "by_template_version": summaries}


def agreement_figures(*, user=None) -> dict:
    """Reviewer agreement and the judge's fit, shaped for AgreementSerializer (usernames for reviewer
    ids); over the pairs of the tenants `user` sees (None: every tenant)."""
    keys = None if user is None else tenant_keys_visible_to(user)
    agreement, fit = reviewer_agreement(keys), judge_fit(user)
    people = {pk for pair in agreement["by_reviewer_pair"] for pk in pair}
    names = dict(get_user_model().objects.filter(pk__in=people).values_list("pk", "username"))
    return {
        "overall": agreement["overall"].as_dict(),
        "by_template_version": [
            {"template_version": version, **figures.as_dict()}
            for version, figures in sorted(agreement["by_template_version"].items(), key=lambda item: item[0] or 0)
        ],
        "by_reviewer_pair": [
            {"reviewers": [names.get(first), names.get(second)], **figures.as_dict()}
            for (first, second), figures in sorted(agreement["by_reviewer_pair"].items())
        ],
        "judge": fit["overall"],
        "judge_by_template_version": [
            {"template_version": version, **summary}
            for version, summary in sorted(fit["by_template_version"].items(), key=lambda item: item[0] or 0)
        ],
    }
