import hashlib
import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

_WHITESPACE = re.compile(r"\s+")


def normalised_content_hash(question: str, answer: str, context: str) -> str:
    """Hash that ignores case and whitespace differences, for exact-duplicate detection."""
    parts = (_WHITESPACE.sub(" ", part).strip().casefold() for part in (question, answer, context))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class QAPair(FSMModelMixin, models.Model):
    class Source(models.TextChoices):
        OPERATOR = "operator", "Operator"
        IMPORTED = "imported", "Imported"
        SYNTHETIC = "synthetic", "Synthetic"

    class ReviewStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    question = models.TextField()
    answer = models.TextField()
    context = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    locale = models.CharField(max_length=35, default="en")
    tenant_id = models.CharField(max_length=100)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OPERATOR)
    content_hash = models.CharField(max_length=64, editable=False)

    review_status = FSMField(default=ReviewStatus.PENDING, choices=ReviewStatus.choices, protected=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    quality_score = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)

    # Lineage of synthetic pairs; the full record (seed, variables, hashes) is in `lineage`.
    job = models.ForeignKey(
        "jobs_app.GenerationJob", on_delete=models.PROTECT, related_name="qa_pairs", null=True, blank=True
    )
    template_version = models.ForeignKey(
        "templates_app.TemplateVersion", on_delete=models.PROTECT, related_name="qa_pairs", null=True, blank=True
    )
    record_index = models.PositiveIntegerField(null=True, blank=True)
    lineage = models.JSONField(default=dict, blank=True)
    is_preview = models.BooleanField(
        default=False, help_text="Made by a non-production job: reviewable, never collected or released."
    )

    # A reviewer's claim on a pending pair (qa_app/services/claims.py): until `claimed_until`
    # no other reviewer is handed it. Written with conditional UPDATEs, not save(), and kept out
    # of the history: a claim is who is looking, not a change to the pair.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    claimed_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["claimed_by", "claimed_until"])

    class Meta:
        ordering = ["-id"]
        verbose_name = "QA pair"
        constraints = [
            # Previews stay out of it, so previewing a draft never makes its production run a duplicate.
            models.UniqueConstraint(
                fields=["tenant_id", "content_hash"],
                condition=Q(is_preview=False),
                name="qa_pair_content_unique_per_tenant",
            ),
            models.UniqueConstraint(
                fields=["job", "record_index"],
                condition=Q(job__isnull=False),
                name="qa_pair_unique_record_per_job",
            ),
        ]
        indexes = [
            models.Index(fields=["review_status", "id"], name="qa_pair_review_queue"),
            # The review queue sorted by quality (the admin orders ties by id in the same direction).
            models.Index(fields=["review_status", "quality_score", "id"], name="qa_pair_review_by_quality"),
            # Every pair sorted by quality, unfiltered: without it a million rows are sorted per page.
            models.Index(fields=["quality_score", "id"], name="qa_pair_by_quality"),
            # The review queue by template version (qa_app.selectors.QUEUE_ORDERS).
            models.Index(fields=["review_status", "template_version", "id"], name="qa_pair_review_by_version"),
        ]
        permissions = [("review_qapair", "Can approve or reject a QA pair")]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.question[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.content_hash = self.compute_content_hash()
        super().save(*args, **kwargs)

    def compute_content_hash(self) -> str:
        return normalised_content_hash(self.question, self.answer, self.context)

    @transition(
        field=review_status,
        source=ReviewStatus.PENDING,
        target=ReviewStatus.APPROVED,
        permission="qa_app.review_qapair",
    )
    def approve(self, *, by, at, reason: str = "") -> None:
        self._record_decision(by, at, reason)

    @transition(
        field=review_status,
        source=ReviewStatus.PENDING,
        target=ReviewStatus.REJECTED,
        permission="qa_app.review_qapair",
    )
    def reject(self, *, by, at, reason: str) -> None:
        self._record_decision(by, at, reason)

    @transition(
        field=review_status,
        source=[ReviewStatus.APPROVED, ReviewStatus.REJECTED],
        target=ReviewStatus.PENDING,
    )
    def reopen(self, *, by, at, reason: str) -> None:
        self._record_decision(by, at, reason)

    def _record_decision(self, by, at, reason: str) -> None:
        self.reviewed_by = by
        self.reviewed_at = at
        self.review_reason = reason


class NearDuplicateBucket(models.Model):
    """One LSH band of a pair's MinHash signature (qa_app/assessment/minhash.py).

    Written in bulk with generated pairs and looked up by (tenant, bucket) for a whole batch in
    one query, so near-duplicate search never loads a tenant's signatures. No foreign key
    constraint: a stale row (its pair edited or deleted) only proposes a candidate, which the
    check against the pair's current text then discards.
    """

    pair = models.ForeignKey(QAPair, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    tenant_id = models.CharField(max_length=100)
    bucket = models.BigIntegerField()

    class Meta:
        # Bucket first: keys are close to unique, so a batch's thousands of keys are each one
        # index probe; led by the tenant, PostgreSQL preferred reading all of the tenant's rows.
        indexes = [models.Index(fields=["bucket", "tenant_id", "pair"], name="near_duplicate_bucket_lookup")]

    def __str__(self) -> str:
        return f"pair {self.pair_id} bucket {self.bucket}"
