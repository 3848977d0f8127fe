from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from qa_app.models import QAPair
from synthgov.errors import InvalidInput
from synthgov.text_limits import text_problem
from templates_app.selectors import taxonomy_keys_unknown

COVERAGE_TARGETS_SHAPE = 'Coverage targets are an object like {"chapter": 100, "chapter/subchapter": 20}.'
COVERAGE_TARGET_COUNT = "The coverage target of {key!r} must be a whole number above 0; got {count!r}."
COVERAGE_TARGET_UNKNOWN = "No chapter or subchapter has the key(s) {keys}; use keys from the taxonomy."


class Split(models.TextChoices):
    TRAIN = "train", "Train"
    VALIDATION = "validation", "Validation"
    TEST = "test", "Test"


def default_split_ratios() -> dict:
    return {Split.TRAIN: 0.8, Split.VALIDATION: 0.1, Split.TEST: 0.1}


def default_allowed_sources() -> list:
    return list(QAPair.Source.values)


def default_formats() -> list:
    return ["openai_chat"]


TENANT_REQUIRED = (
    "A collection belongs to one tenant: give its tenant_id (the tenant of the pairs it will hold), "
    "or have an approver make it cross-tenant."
)


class Collection(models.Model):
    class Purpose(models.TextChoices):
        TRAINING = "training", "Training"
        EVALUATION = "evaluation", "Evaluation"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TRAINING)
    allowed_sources = models.JSONField(default=default_allowed_sources)
    allow_synthetic_in_evaluation = models.BooleanField(
        default=False, help_text="Evaluation collections refuse synthetic pairs unless this is ticked."
    )
    split_ratios = models.JSONField(
        default=default_split_ratios, help_text="Used for members without an explicit split."
    )
    seed = models.BigIntegerField(default=0, help_text="Seeds the stable automatic split assignment.")
    description = models.TextField(blank=True, help_text="What the collection is for; opens its dataset card.")
    default_formats = models.JSONField(
        default=default_formats, help_text="Formats a release writes unless it asks for others."
    )
    allow_pii = models.BooleanField(
        default=False, help_text="Release pairs flagged for PII (else left out). Needs its own permission."
    )
    tenant_id = models.CharField(
        max_length=100, blank=True, help_text="The tenant whose pairs it holds; empty only when cross-tenant."
    )
    cross_tenant = models.BooleanField(default=False, help_text="Holds pairs of several tenants (set by an approver).")
    coverage_targets = models.JSONField(
        default=dict, blank=True, help_text='Approved pairs wanted per "chapter" or "chapter/subchapter" key.'
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("release_collection", "Can release a collection"),
            ("lift_synthetic_wall", "Can let synthetic pairs into an evaluation collection"),
            ("allow_pii_collection", "Can let pairs flagged for PII into a collection's releases"),
            ("set_cross_tenant_collection", "Can make a collection cross-tenant"),
        ]

    def __str__(self) -> str:
        return self.slug

    def clean(self) -> None:
        ratios = self.split_ratios
        if not isinstance(ratios, dict) or set(ratios) - set(Split.values):
            raise ValidationError({"split_ratios": f"Use keys from {', '.join(Split.values)}."})
        if any(not isinstance(value, (int, float)) or value < 0 for value in ratios.values()):
            raise ValidationError({"split_ratios": "Ratios must be non-negative numbers."})
        if abs(sum(ratios.values()) - 1) > 1e-6:
            raise ValidationError({"split_ratios": f"Ratios must add up to 1; they add up to {sum(ratios.values())}."})
        if not isinstance(self.allowed_sources, list) or set(self.allowed_sources) - set(QAPair.Source.values):
            raise ValidationError({"allowed_sources": f"Use values from {', '.join(QAPair.Source.values)}."})
        if problem := text_problem("description", self.description):
            raise ValidationError({"description": problem})
        from .exporters import clean_formats  # the exporters read this module's models

        try:
            self.default_formats = clean_formats(self.default_formats, field="default_formats")
        except InvalidInput as exc:
            raise ValidationError({"default_formats": exc.message}) from exc
        if "\x00" in (self.tenant_id or ""):
            raise ValidationError({"tenant_id": "The tenant contains a NUL character (\\u0000); remove it."})
        if not self.tenant_id and not self.cross_tenant:
            raise ValidationError({"tenant_id": TENANT_REQUIRED})
        self._clean_coverage_targets()

    def _clean_coverage_targets(self) -> None:
        targets = self.coverage_targets
        if targets in (None, ""):
            self.coverage_targets = targets = {}
        if not isinstance(targets, dict):
            raise ValidationError({"coverage_targets": COVERAGE_TARGETS_SHAPE})
        for key, count in targets.items():
            if not isinstance(key, str) or len(key) > 201 or "\x00" in key:
                raise ValidationError({"coverage_targets": COVERAGE_TARGETS_SHAPE})
            if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
                raise ValidationError({"coverage_targets": COVERAGE_TARGET_COUNT.format(key=key, count=count)})
        unknown = taxonomy_keys_unknown(targets)
        if unknown:
            raise ValidationError({"coverage_targets": COVERAGE_TARGET_UNKNOWN.format(keys=", ".join(unknown))})


class Membership(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="memberships")
    qa_pair = models.ForeignKey(QAPair, on_delete=models.PROTECT, related_name="memberships")
    split = models.CharField(max_length=16, choices=Split.choices, blank=True, help_text="Empty: assigned by hash.")
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0, message="Weight must be above 0.")])
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["collection_id", "qa_pair_id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "qa_pair"], name="membership_unique_pair_per_collection"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="membership_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.collection.slug} ∋ #{self.qa_pair_id}"


class Release(FSMModelMixin, models.Model):
    """An immutable snapshot of a collection, written to files with checksums."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        PUBLISHED = "published", "Published"

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="releases")
    version = models.PositiveIntegerField()
    status = FSMField(default=Status.BUILDING, choices=Status.choices, protected=True)
    formats = models.JSONField(default=list, blank=True, help_text="The formats written, in order.")
    manifest = models.JSONField(default=dict, blank=True)
    files = models.JSONField(default=list, blank=True)
    # Fixed when the release is made: renaming the collection must not move released files.
    storage_path = models.CharField(max_length=300, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["collection", "-version"]
        constraints = [models.UniqueConstraint(fields=["collection", "version"], name="release_version_unique")]

    def __str__(self) -> str:
        return f"{self.collection.slug} v{self.version}"

    @transition(field=status, source=Status.BUILDING, target=Status.PUBLISHED)
    def publish(self, *, at, manifest: dict, files: list) -> None:
        self.published_at = at
        self.manifest = manifest
        self.files = files


class ReleaseItem(models.Model):
    """One pair as released. Millions are written per release, in one INSERT ... SELECT from
    rows that exist in the same transaction, so the database-level foreign keys are left off:
    their deferred checks cost half of a million-row release, at COMMIT. Deletion is still
    guarded by the ORM (PROTECT), and the (release, qa_pair) unique index also serves lookups
    by release."""

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="items", db_constraint=False, db_index=False
    )
    qa_pair = models.ForeignKey(QAPair, on_delete=models.PROTECT, related_name="release_items", db_constraint=False)
    split = models.CharField(max_length=16, choices=Split.choices)
    weight = models.FloatField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["release_id", "split", "qa_pair_id"]
        constraints = [models.UniqueConstraint(fields=["release", "qa_pair"], name="release_item_unique_pair")]

    def __str__(self) -> str:
        return f"{self.release} #{self.qa_pair_id} ({self.split})"


class MembershipFill(FSMModelMixin, models.Model):
    """One "add all approved pairs matching this filter" request, run as a django-q2 task.

    The filters are qa_app's (qa_app.filters.QAPairFilter) as the request named them; the task walks
    the pairs' ids in ranges and commits each range with its counts, so a large fill shows progress
    and a resumed one continues after `processed_through`. Re-running adds nothing new: pairs that are
    already members are counted as such.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="fills")
    filters = models.JSONField(default=dict, blank=True, help_text="QA pair filters (qa_app's), as requested.")
    split = models.CharField(max_length=16, choices=Split.choices, blank=True, help_text="Empty: assigned by hash.")
    weight = models.FloatField(default=1.0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    matched = models.PositiveIntegerField(default=0, help_text="Approved pairs matching the filters.")
    processed = models.PositiveIntegerField(default=0, help_text="Matching pairs handled so far.")
    added = models.PositiveIntegerField(default=0)
    already_members = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0, help_text="Matching pairs the collection may not hold.")
    refused_by_rule = models.JSONField(default=dict, blank=True, help_text="Refused pairs per rule.")
    first_pair_id = models.BigIntegerField(null=True, blank=True, editable=False)
    last_pair_id = models.BigIntegerField(null=True, blank=True, editable=False)
    processed_through = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="Pairs with ids up to this one are done."
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Last committed range: a running fill silent too long is resumed.",
    )

    history = HistoricalRecords(excluded_fields=["heartbeat_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(weight__gt=0), name="membership_fill_weight_positive")]

    def __str__(self) -> str:
        return f"fill #{self.pk} of {self.collection}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(100, 100 * self.processed // self.matched) if self.matched else 0

    @transition(field=status, source=Status.PENDING, target=Status.RUNNING)
    def start(self, *, at, matched: int, first_pair_id, last_pair_id) -> None:
        self.started_at = at
        self.heartbeat_at = at
        self.matched = matched
        self.first_pair_id = first_pair_id
        self.last_pair_id = last_pair_id

    @transition(field=status, source=Status.RUNNING, target=Status.SUCCEEDED)
    def succeed(self, *, at) -> None:
        self.finished_at = at

    @transition(field=status, source=[Status.PENDING, Status.RUNNING], target=Status.FAILED)
    def fail(self, *, at, error: str) -> None:
        self.finished_at = at
        self.error = error
