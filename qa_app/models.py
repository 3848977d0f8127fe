import hashlib

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
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


class QAPairSearchDocument(models.Model):
    """A pair's full-text document on PostgreSQL (qa_app/search.py): the weighted tsvector of its
    question, answer and context, GIN-indexed, written by triggers on qa_app_qapair whenever a
    text is inserted or changed (migration 0009). Kept beside the pair, not in it, so that a
    review decision (an UPDATE of the status columns) never touches the GIN index: in the pair's
    row it cost 40 % of every bulk approval. Empty on SQLite, which searches FTS5."""

    pair = models.OneToOneField(
        QAPair,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = SearchVectorField()

    def __str__(self) -> str:
        return f"search document of pair {self.pair_id}"


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


class ImportRun(FSMModelMixin, models.Model):
    """One import of a file of existing QA data into `imported` pairs (qa_app/imports/), run in
    batches by a django-q2 task. Each batch commits its pairs, its line issues and `lines_done`
    together, so a killed worker's run resumes after the last committed batch, and every line of
    the file ends with exactly one outcome: a pair, a duplicate, or a line error."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Format(models.TextChoices):
        JSONL = "jsonl", "JSON Lines (optionally gzip)"
        CSV = "csv", "CSV"
        PARQUET = "parquet", "Parquet"

    class Shape(models.TextChoices):
        CHAT = "chat", "OpenAI chat (messages)"
        ALPACA = "alpaca", "Alpaca (instruction, input, output)"
        SHAREGPT = "sharegpt", "ShareGPT (conversations)"
        PLAIN = "plain", "Plain (question, answer, context)"
        MAPPING = "mapping", "Column mapping"

    file_name = models.CharField(max_length=255)
    # Where the file is read from: an upload under MEDIA_ROOT/imports/, or a server-side path
    # under SYNTHGOV_IMPORT_DIR.
    file_path = models.CharField(max_length=1024, editable=False)
    file_sha256 = models.CharField(max_length=64, editable=False)
    file_bytes = models.BigIntegerField(default=0, editable=False)
    file_format = models.CharField(max_length=16, choices=Format.choices)
    shape = models.CharField(max_length=16, choices=Shape.choices)
    mapping = models.JSONField(default=dict, blank=True)
    tenant_id = models.CharField(max_length=100)
    locale = models.CharField(max_length=35, blank=True, help_text="Empty: detected per line.")
    chapter_key = models.CharField(max_length=100, blank=True)
    subchapter_key = models.CharField(max_length=100, blank=True)
    # Taken from a field of each record instead (its value is the chapter key).
    chapter_field = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    approve = models.BooleanField(default=False, help_text="Pairs are approved on import (dedicated permission).")
    approval_reason = models.TextField(blank=True)

    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    # Counted when the run is created (a Parquet file's rows; a text file's line breaks, which a
    # CSV field holding a line break makes an estimate): the progress bar's end.
    total_lines = models.PositiveBigIntegerField(default=0, editable=False)
    lines_done = models.PositiveBigIntegerField(default=0, editable=False)
    imported = models.PositiveBigIntegerField(default=0, editable=False)
    duplicates = models.PositiveBigIntegerField(default=0, editable=False)
    errors = models.PositiveBigIntegerField(default=0, editable=False)
    error = models.TextField(blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["total_lines", "lines_done", "imported", "duplicates", "errors", "heartbeat_at"]
    )

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("cancel_importrun", "Can cancel an import"),
            ("approve_on_import", "Can approve pairs as they are imported"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "file_sha256", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="import_run_idempotent_per_file_and_key",
            )
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(99, self.lines_done * 100 // self.total_lines) if self.total_lines else 0

    @transition(field=status, source=Status.PENDING, target=Status.RUNNING)
    def start(self, *, at) -> None:
        self.started_at = at
        self.heartbeat_at = at

    @transition(field=status, source=Status.RUNNING, target=Status.SUCCEEDED)
    def succeed(self, *, at) -> None:
        self.finished_at = at

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, at, error: str) -> None:
        self.finished_at = at
        self.error = error

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.CANCELLED)
    def cancel(self, *, at) -> None:
        self.finished_at = at


class ImportLineIssue(models.Model):
    """A line of an import that made no pair: a duplicate (naming the pair that holds its content)
    or a line error (why, and the raw text, truncated)."""

    class Kind(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        ERROR = "error", "Line error"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField()
    raw = models.TextField(blank=True)
    pair = models.ForeignKey(
        QAPair, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run", "line"]
        constraints = [models.UniqueConstraint(fields=["run", "line"], name="import_issue_one_per_line")]

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}"
