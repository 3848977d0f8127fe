"""Review decisions: one row per reviewer and round, and the reasons offered for rejecting."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .pairs import QAPair


class RejectReason(models.Model):
    """A reason offered when rejecting (admin form and API `reason_code`), managed in the admin."""

    code = models.SlugField(unique=True, help_text="What API clients send as reason_code.")
    label = models.CharField(max_length=200, help_text="What a reviewer picks, and what the decision records.")
    active = models.BooleanField(default=True, help_text="Inactive reasons are no longer offered; decisions keep them.")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class ReviewDecision(models.Model):
    """One reviewer's decision on one pair in one review round; written once, never changed.

    A pair's review_status follows from these rows: one decision, or two of different reviewers
    that agree (approve and approve-with-edits agree), or an adjudicator's after a disagreement.
    """

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        APPROVE_WITH_EDITS = "approve_with_edits", "Approve with edits (partially accepted)"
        REJECT = "reject", "Reject"

    # Looked up through review_decision_by_pair (pair, round), which leads with the pair.
    pair = models.ForeignKey(QAPair, on_delete=models.PROTECT, related_name="decisions", db_index=False)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField(blank=True)
    # Empty on approvals: indexed only where set (Meta.indexes).
    reject_reason = models.ForeignKey(
        RejectReason, on_delete=models.PROTECT, related_name="+", null=True, blank=True, db_index=False
    )
    round = models.PositiveIntegerField(help_text="The pair's review round this decision belongs to.")
    is_adjudication = models.BooleanField(default=False)
    # Approve with edits: the text before and after the reviewer's edit ({question, answer, context}).
    original = models.JSONField(null=True, blank=True)
    edited = models.JSONField(null=True, blank=True)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["pair", "decided_at", "id"]
        constraints = [
            # One decision per reviewer and round: a second one (a race, a resubmitted form) fails.
            models.UniqueConstraint(
                fields=["pair", "round", "reviewer"],
                condition=Q(is_adjudication=False),
                name="review_decision_one_per_reviewer_and_round",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["approve", "approve_with_edits", "reject"]),
                name="review_decision_known_decision",
            ),
        ]
        indexes = [
            models.Index(fields=["pair", "round"], name="review_decision_by_pair"),
            models.Index(fields=["decided_at", "reviewer"], name="review_decision_by_time"),
            models.Index(
                fields=["reject_reason"], condition=Q(reject_reason__isnull=False), name="review_decision_reject_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} of pair {self.pair_id} by {self.reviewer_id}"

    @property
    def approves(self) -> bool:
        return self.decision != self.Decision.REJECT
