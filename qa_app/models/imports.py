"""Import runs of existing QA data and the issues of their lines (qa_app/imports/)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from .pairs import QAPair


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
