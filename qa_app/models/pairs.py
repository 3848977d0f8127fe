"""QA pairs: the pair, its review lifecycle, and the content hash and taxonomy its rows carry."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords


def normalised_content_hash(question: str, answer: str, context: str) -> str:
    """Hash that ignores case and whitespace differences, for exact-duplicate detection."""
    # split() and join(): runs of whitespace made one space, ends stripped. The same whitespace as
    # the regex `\s+` it replaced (both use Python's isspace), at half the cost of a 1 KB answer.
    parts = (" ".join(part.split()).casefold() for part in (question, answer, context))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


TAXONOMY_KEY_CHARS = 100


def lineage_taxonomy(lineage) -> tuple[str, str]:
    """(chapter key, subchapter key) a pair's lineage names: a job's (synthetic and promoted pairs)
    or an import line's; empty strings where it names none (operator pairs)."""
    if not isinstance(lineage, dict):
        return "", ""
    return tuple(str(lineage.get(name) or "")[:TAXONOMY_KEY_CHARS] for name in ("chapter", "subchapter"))


class QAPairQuerySet(models.QuerySet):
    """The one place that says which pairs lie in a chapter or subchapter: by the pair's own
    `chapter_key` / `subchapter_key` columns, whatever made the pair (a job, an import, a promotion),
    answered by the `qa_pair_by_taxonomy` index without a join."""

    def in_chapter(self, chapter_key: str) -> "QAPairQuerySet":
        """Pairs of the chapter, its subchapters' included."""
        return self.filter(chapter_key=chapter_key)

    def in_subchapter(self, chapter_key: str, subchapter_key: str) -> "QAPairQuerySet":
        return self.filter(chapter_key=chapter_key, subchapter_key=subchapter_key)


class QAPair(FSMModelMixin, models.Model):
    class Source(models.TextChoices):
        OPERATOR = "operator", "Operator"
        IMPORTED = "imported", "Imported"
        SYNTHETIC = "synthetic", "Synthetic"

    class ReviewStatus(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        # Two reviewers disagreed; an adjudicator's decision is final.
        AWAITING_ADJUDICATION = "awaiting_adjudication", "Awaiting adjudication"

    class DecisionsNeeded(models.IntegerChoices):
        ONE = 1, "1 (one reviewer decides)"
        TWO = 2, "2 (two reviewers, blind, must agree)"

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
    # Decisions that must agree before the pair is decided: set when the pair is created, from its
    # job's or template's setting (jobs_app passes it in; qa_app never reads those apps' tables).
    decisions_needed = models.PositiveSmallIntegerField(
        choices=DecisionsNeeded.choices, default=DecisionsNeeded.ONE, db_default=1, editable=False
    )
    # Counts review rounds: a reopen or an edit of the text starts a new one, and only the
    # current round's ReviewDecision rows decide the pair.
    review_round = models.PositiveIntegerField(default=1, db_default=1, editable=False)
    # Four eyes on content: who wrote the text (operator pairs, promoted artifacts) and who last edited it.
    # Mostly empty (generated pairs have no author): indexed only where set (Meta.indexes).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
    )

    quality_score = models.FloatField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(default=list, blank=True)

    # Lineage of synthetic pairs; the full record (seed, variables, hashes) is in `lineage`.
    # Looked up through the unique (job, record_index) index, which leads with the job.
    job = models.ForeignKey(
        "jobs_app.GenerationJob",
        on_delete=models.PROTECT,
        related_name="qa_pairs",
        null=True,
        blank=True,
        db_index=False,
    )
    template_version = models.ForeignKey(
        "templates_app.TemplateVersion", on_delete=models.PROTECT, related_name="qa_pairs", null=True, blank=True
    )
    record_index = models.PositiveIntegerField(null=True, blank=True)
    # Imported pairs: the run that read them; `record_index` is then the line (or row) of the file.
    # Looked up through the unique (import_run, record_index) index, which leads with the run.
    import_run = models.ForeignKey(
        "qa_app.ImportRun",
        on_delete=models.PROTECT,
        related_name="pairs",
        null=True,
        blank=True,
        editable=False,
        db_index=False,
    )
    lineage = models.JSONField(default=dict, blank=True)
    # The chapter and subchapter the lineage names (`lineage_taxonomy`), kept in columns so that the
    # chapter filters read one index instead of JSON or a join to the template. Written by save() and
    # by the COPY path (services/synthetic.py) from the lineage; never edited on their own.
    chapter_key = models.CharField(max_length=TAXONOMY_KEY_CHARS, blank=True, default="", db_default="", editable=False)
    subchapter_key = models.CharField(
        max_length=TAXONOMY_KEY_CHARS, blank=True, default="", db_default="", editable=False
    )
    is_preview = models.BooleanField(
        default=False, help_text="Made by a non-production job: reviewable, never collected or released."
    )

    # A reviewer's claim on a pending pair (qa_app/services/claims.py): until `claimed_until`
    # no other reviewer is handed it. Written with conditional UPDATEs, not save(), and kept out
    # of the history: a claim is who is looking, not a change to the pair.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True, db_index=False
    )
    claimed_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QAPairQuerySet.as_manager()
    # History rows are read by pair (`id`), date and user; the other foreign keys are not indexed
    # there: each index costs every decision's history row an index insertion (bulk approve).
    history = HistoricalRecords(
        excluded_fields=["claimed_by", "claimed_until"],
        no_db_index=["created_by", "edited_by", "import_run", "job", "reviewed_by", "template_version"],
    )

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
            # One outcome per line of an import, however often a killed worker's batch is run again.
            models.UniqueConstraint(
                fields=["import_run", "record_index"],
                condition=Q(import_run__isnull=False),
                name="qa_pair_unique_line_per_import",
            ),
            models.CheckConstraint(condition=Q(decisions_needed__in=[1, 2]), name="qa_pair_decisions_needed_1_or_2"),
        ]
        indexes = [
            # A tenant's pairs in id order (the admin changelist and the API list of a member): the
            # tenant filter reads one index range instead of skipping other tenants' rows.
            models.Index(fields=["tenant_id", "id"], name="qa_pair_by_tenant"),
            models.Index(fields=["review_status", "id"], name="qa_pair_review_queue"),
            # The review queue sorted by quality (the admin orders ties by id in the same direction).
            models.Index(fields=["review_status", "quality_score", "id"], name="qa_pair_review_by_quality"),
            # Every pair sorted by quality, unfiltered: without it a million rows are sorted per page.
            models.Index(fields=["quality_score", "id"], name="qa_pair_by_quality"),
            # The review queue by template version (qa_app.selectors.QUEUE_ORDERS).
            models.Index(fields=["review_status", "template_version", "id"], name="qa_pair_review_by_version"),
            # Pending pairs per tenant for /metrics: an index-only scan of the pending range (qa_app/metrics.py).
            models.Index(fields=["review_status", "tenant_id"], name="qa_pair_status_tenant"),
            # Foreign keys that are empty on most pairs, indexed only where set: a review decision
            # changes review_status, so PostgreSQL writes a new entry into every index of the pair
            # (no HOT update), and a full index of NULLs would cost each decided pair one more.
            models.Index(fields=["claimed_by"], condition=Q(claimed_by__isnull=False), name="qa_pair_claimed_by"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="qa_pair_created_by"),
            models.Index(fields=["edited_by"], condition=Q(edited_by__isnull=False), name="qa_pair_edited_by"),
            # The chapter and subchapter filters, and their counts (QAPairQuerySet.in_chapter/in_subchapter).
            models.Index(fields=["chapter_key", "subchapter_key"], name="qa_pair_by_taxonomy"),
        ]
        permissions = [
            ("review_qapair", "Can approve or reject a QA pair"),
            ("adjudicate_qapair", "Can decide a QA pair on which two reviewers disagreed"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.question[:60]}"

    def save(self, *args, **kwargs) -> None:
        self.content_hash = self.compute_content_hash()
        self.chapter_key, self.subchapter_key = self.compute_taxonomy()
        super().save(*args, **kwargs)

    def compute_content_hash(self) -> str:
        return normalised_content_hash(self.question, self.answer, self.context)

    def compute_taxonomy(self) -> tuple[str, str]:
        """The lineage's chapter and subchapter; a pair of a template version whose lineage names no
        chapter (made by hand) takes its template's."""
        chapter_key, subchapter_key = lineage_taxonomy(self.lineage)
        if not chapter_key and self.template_version_id:
            from templates_app.selectors import template_version_taxonomy

            return template_version_taxonomy(self.template_version_id)
        return chapter_key, subchapter_key

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
        source=ReviewStatus.PENDING,
        target=ReviewStatus.AWAITING_ADJUDICATION,
        permission="qa_app.review_qapair",
    )
    def escalate(self) -> None:
        """The round's reviewers disagreed: the pair waits for an adjudicator (nothing is decided yet)."""

    @transition(
        field=review_status,
        source=ReviewStatus.AWAITING_ADJUDICATION,
        target=ReviewStatus.APPROVED,
        permission="qa_app.adjudicate_qapair",
    )
    def adjudicate_approve(self, *, by, at, reason: str = "") -> None:
        self._record_decision(by, at, reason)

    @transition(
        field=review_status,
        source=ReviewStatus.AWAITING_ADJUDICATION,
        target=ReviewStatus.REJECTED,
        permission="qa_app.adjudicate_qapair",
    )
    def adjudicate_reject(self, *, by, at, reason: str) -> None:
        self._record_decision(by, at, reason)

    @transition(
        field=review_status,
        source=[ReviewStatus.APPROVED, ReviewStatus.REJECTED, ReviewStatus.AWAITING_ADJUDICATION],
        target=ReviewStatus.PENDING,
    )
    def reopen(self, *, by, at, reason: str) -> None:
        """A new review round: the decisions of the earlier ones stay, but no longer count."""
        self._record_decision(by, at, reason)
        self.review_round += 1

    def _record_decision(self, by, at, reason: str) -> None:
        self.reviewed_by = by
        self.reviewed_at = at
        self.review_reason = reason


class AwaitingAdjudicationManager(models.Manager.from_queryset(QAPairQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(review_status=QAPair.ReviewStatus.AWAITING_ADJUDICATION)


class QAPairAwaitingAdjudication(QAPair):
    """The adjudication queue in the admin: pairs on which two reviewers disagreed."""

    objects = AwaitingAdjudicationManager()

    class Meta:
        proxy = True
        verbose_name = "QA pair awaiting adjudication"
        verbose_name_plural = "QA pairs awaiting adjudication"
