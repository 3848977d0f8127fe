from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords


class TargetSurface(models.TextChoices):
    TRAINING = "training", "Training"
    ANALYTICS_SANDBOX = "analytics_sandbox", "Analytics sandbox"
    QA_FIXTURES = "qa_fixtures", "QA fixtures"
    DEMO_BUNDLE = "demo_bundle", "Demo bundle"


class GenerationJob(ConcurrentTransitionMixin, models.Model):
    """A request to expand a template version into QA pairs, and its result.

    ConcurrentTransitionMixin makes a state change fail if another process changed the
    state first (an operator cancelling while the worker finishes).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
    # What a caller asks for, in the order the admin and the API show it.
    REQUEST_FIELDS = (
        "template_version",
        "chapter_key",
        "subchapter_key",
        "tenant_id",
        "locale",
        "record_count",
        "target_surface",
        "seed",
        "generator",
        "generator_config",
        "production",
        "idempotency_key",
        "decisions_needed",
    )

    # Request
    template_version = models.ForeignKey("templates_app.TemplateVersion", on_delete=models.PROTECT, related_name="jobs")
    chapter_key = models.SlugField()
    subchapter_key = models.SlugField(blank=True)
    tenant_id = models.CharField(max_length=100)
    locale = models.CharField(max_length=35, default="en")
    record_count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    target_surface = models.CharField(max_length=32, choices=TargetSurface.choices)
    seed = models.BigIntegerField(default=0)
    generator = models.CharField(max_length=50, default="template")
    generator_config = models.JSONField(default=dict, blank=True)
    production = models.BooleanField(default=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    decisions_needed = models.PositiveSmallIntegerField(
        choices=[(1, "1 (one reviewer decides)"), (2, "2 (two reviewers, blind, must agree)")],
        null=True,
        blank=True,
        help_text="Review decisions that must agree before one of the job's pairs is decided; "
        "empty: the template's setting.",
    )
    request_fingerprint = models.CharField(max_length=64, editable=False)

    # Result
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    processed_records = models.PositiveIntegerField(default=0)
    accepted_records = models.PositiveIntegerField(default=0)
    rejected_records = models.PositiveIntegerField(default=0)
    duplicate_records = models.PositiveIntegerField(default=0)
    output_manifest = models.JSONField(default=dict, blank=True)
    lineage = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["processed_records", "heartbeat_at"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="job_idempotency_key_unique_per_tenant",
            ),
            models.CheckConstraint(condition=Q(record_count__gte=1), name="job_record_count_positive"),
            models.CheckConstraint(
                condition=Q(decisions_needed__isnull=True) | Q(decisions_needed__in=[1, 2]),
                name="job_decisions_needed_1_or_2",
            ),
        ]
        permissions = [
            ("trigger_generationjob", "Can trigger a generation job"),
            ("cancel_generationjob", "Can cancel a generation job"),
            ("resume_generationjob", "Can resume a failed or cancelled generation job"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.status})"

    @property
    def effective_decisions_needed(self) -> int:
        """The job's own setting, else its template's: what each of its pairs is created with."""
        return self.decisions_needed or self.template_version.template.decisions_needed

    @property
    def progress_percent(self) -> int:
        return min(100, self.processed_records * 100 // self.record_count) if self.record_count else 0

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def records_per_second(self) -> float | None:
        """Mean rate since the job started (a resumed job's pause included), for the progress bar."""
        if not self.started_at or not self.processed_records:
            return None
        elapsed = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return self.processed_records / elapsed if elapsed > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.records_per_second
        return (self.record_count - self.processed_records) / rate if rate else None

    @transition(field=status, source=Status.PENDING, target=Status.RUNNING)
    def start(self, *, at) -> None:
        self.started_at = self.started_at or at
        self.heartbeat_at = at

    @transition(field=status, source=Status.RUNNING, target=Status.SUCCEEDED)
    def succeed(self, *, at, manifest: dict) -> None:
        self.finished_at = at
        self.output_manifest = manifest

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, at, error: str) -> None:
        self.finished_at = at
        self.error = error

    @transition(
        field=status,
        source=[Status.PENDING, Status.RUNNING],
        target=Status.CANCELLED,
        permission="jobs_app.cancel_generationjob",
    )
    def cancel(self, *, by, at) -> None:
        self.cancelled_by = by
        self.finished_at = at

    @transition(
        field=status,
        source=[Status.FAILED, Status.CANCELLED],
        target=RETURN_VALUE(Status.PENDING, Status.RUNNING),
        permission="jobs_app.resume_generationjob",
    )
    def resume(self, *, at) -> str:
        """Back to work on the records it has not produced: running if it had started, else pending.

        The error and who cancelled stay in the job's history; the record counts stay as they are.
        """
        self.finished_at = None
        self.error = ""
        self.cancelled_by = None
        self.heartbeat_at = at
        return self.Status.RUNNING if self.started_at else self.Status.PENDING


class JobShard(models.Model):
    """A contiguous range of a job's record indexes, run by one task; resumable from `processed_records`.

    Its status is not an FSM field on purpose: every change (claim, batch progress, done, re-queue
    by the stale sweep) is a conditional UPDATE that re-checks status, heartbeat and progress under
    the row lock, so of two workers exactly one wins. A transition on a loaded instance checks the
    state it read, not the heartbeat another worker wrote since (jobs_app/services/execution.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        # Its job was cancelled or failed before the shard was done; a resume makes it pending again.
        STOPPED = "stopped", "Stopped"

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="shards")
    index = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    processed_records = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The adaptive concurrency's changes and faults while this shard ran (generators/concurrency_log.py);
    # written with each batch, merged into the job's output manifest.
    concurrency_log = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["job_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="job_shard_unique_index"),
            models.CheckConstraint(condition=Q(start__lt=models.F("stop")), name="job_shard_range_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Job {self.job_id} shard {self.index} [{self.start}, {self.stop})"


# Bounds of a generator profile's load settings: threads per worker process, records kept in memory.
MAX_CONCURRENCY = 512
MAX_EARLY_STOP_WINDOW = 10_000
MIN_CONCURRENCY_REFUSED = "Min concurrency must be from 1 to the concurrency."


class GeneratorProfile(models.Model):
    """Connection settings for an OpenAI-compatible server. The API key stays in the environment."""

    name = models.SlugField(unique=True)
    base_url = models.URLField(help_text="e.g. http://127.0.0.1:8001/v1 (vLLM, Ollama, llama.cpp server, OpenAI).")
    model = models.CharField(max_length=200)
    temperature = models.FloatField(default=0.7)
    max_tokens = models.PositiveIntegerField(default=1024)
    concurrency = models.PositiveIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENCY)],
        help_text="Most requests in flight at once, per worker process. The adaptive concurrency starts here, "
        "halves on 429, 5xx and timeouts, and climbs back by one per round of fast replies.",
    )
    min_concurrency = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CONCURRENCY)],
        help_text="The adaptive concurrency never goes below this (at most the concurrency).",
    )
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    timeout_seconds = models.FloatField(default=60)
    max_retries = models.PositiveIntegerField(default=4)
    api_key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="Name of the environment variable holding the API key (never the key).",
        # A pasted key (sk-..., with dashes) is refused rather than stored in the database.
        validators=[
            RegexValidator(
                r"^[A-Za-z_][A-Za-z0-9_]*\Z",
                "Give the name of an environment variable (letters, digits, underscores, e.g. OPENAI_API_KEY), "
                "never the key itself.",
            )
        ],
    )
    structured_output = models.BooleanField(
        default=True, help_text="Ask for JSON matching output_schema through response_format (json_schema)."
    )
    early_stop_window = models.PositiveIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EARLY_STOP_WINDOW)],
        help_text="Records the early-stop rates are measured over (the last N a shard processed).",
    )
    early_stop_rejection_rate = models.FloatField(
        null=True,
        blank=True,
        default=0.9,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Fail the job when more than this share (0 to 1) of the last N records was rejected. Empty: never.",
    )
    early_stop_error_rate = models.FloatField(
        null=True,
        blank=True,
        default=0.5,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Fail the job when more than this share (0 to 1) of the last N records met a server error "
        "or timeout (retried or not; 429s excluded). Empty: never.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_concurrency__gte=1, min_concurrency__lte=models.F("concurrency")),
                name="generator_profile_min_concurrency_within_concurrency",
                violation_error_message=MIN_CONCURRENCY_REFUSED,
            ),
            models.CheckConstraint(
                condition=Q(early_stop_window__gte=1, early_stop_window__lte=MAX_EARLY_STOP_WINDOW),
                name="generator_profile_early_stop_window_range",
                violation_error_message=f"Early stop window must be from 1 to {MAX_EARLY_STOP_WINDOW}.",
            ),
            models.CheckConstraint(
                condition=Q(early_stop_rejection_rate__isnull=True)
                | Q(early_stop_rejection_rate__gte=0, early_stop_rejection_rate__lte=1),
                name="generator_profile_early_stop_rejection_rate_range",
                violation_error_message="Early stop rejection rate must be from 0 to 1, or empty.",
            ),
            models.CheckConstraint(
                condition=Q(early_stop_error_rate__isnull=True)
                | Q(early_stop_error_rate__gte=0, early_stop_error_rate__lte=1),
                name="generator_profile_early_stop_error_rate_range",
                violation_error_message="Early stop error rate must be from 0 to 1, or empty.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RejectedArtifact(models.Model):
    """A record that failed validation, kept with the reasons so nothing is lost silently."""

    job = models.ForeignKey(GenerationJob, on_delete=models.PROTECT, related_name="rejected_artifacts")
    record_index = models.PositiveIntegerField()
    payload = models.JSONField()
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    promoted_pair = models.OneToOneField(
        "qa_app.QAPair", on_delete=models.PROTECT, related_name="promoted_from", null=True, blank=True
    )

    class Meta:
        ordering = ["job_id", "record_index"]
        constraints = [models.UniqueConstraint(fields=["job", "record_index"], name="rejected_artifact_unique_index")]

    def __str__(self) -> str:
        return f"Job {self.job_id} record {self.record_index}"


class DuplicateRecord(models.Model):
    """A generated record whose content the tenant already held (or the job produced earlier)."""

    job = models.ForeignKey(GenerationJob, on_delete=models.PROTECT, related_name="duplicate_outcomes")
    record_index = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    duplicate_of = models.ForeignKey(
        "qa_app.QAPair", on_delete=models.SET_NULL, related_name="+", null=True, blank=True, db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "record_index"]
        constraints = [models.UniqueConstraint(fields=["job", "record_index"], name="duplicate_record_unique_index")]

    def __str__(self) -> str:
        return f"Job {self.job_id} record {self.record_index} duplicates pair {self.duplicate_of_id}"
