import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

CONTENT_FIELDS = (
    "system_prompt",
    "prompt",
    "question_template",
    "answer_template",
    "context_template",
    "variables",
    "output_schema",
    "exemplars",
    "judge_rubric",
)

# Who and when, and the state: what the admin and the API show beside the content.
GOVERNANCE_FIELDS = (
    "version",
    "status",
    "is_current",
    "content_sha256",
    "author",
    "created_at",
    "published_by",
    "published_at",
    "archived_at",
)

IMMUTABLE_VERSION = (
    "Version {version} of '{template}' is {status} and cannot be edited; create a new draft from it instead."
)


class Chapter(models.Model):
    key = models.SlugField(unique=True)
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title


class Subchapter(models.Model):
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="subchapters")
    key = models.SlugField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["chapter__key", "key"]
        constraints = [models.UniqueConstraint(fields=["chapter", "key"], name="subchapter_key_unique_in_chapter")]

    def __str__(self) -> str:
        return f"{self.chapter.key}/{self.key}"


class PromptTemplate(models.Model):
    key = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="templates")
    subchapter = models.ForeignKey(
        Subchapter, on_delete=models.PROTECT, related_name="templates", null=True, blank=True
    )
    description = models.TextField(blank=True)
    decisions_needed = models.PositiveSmallIntegerField(
        choices=[(1, "1 (one reviewer decides)"), (2, "2 (two reviewers, blind, must agree)")],
        default=1,
        help_text="Review decisions that must agree before a generated pair of this template is decided; "
        "a job may override it. Applies to pairs generated from now on.",
    )
    # Templates are shared and governed once; a template may still be kept to some tenants' jobs.
    allowed_tenants = models.ManyToManyField(
        "tenants_app.Tenant",
        blank=True,
        related_name="+",
        help_text="Only these tenants' jobs may use the template; none chosen: every tenant.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=Q(decisions_needed__in=[1, 2]), name="template_decisions_needed_1_or_2")
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if self.subchapter_id and self.subchapter.chapter_id != self.chapter_id:
            raise ValidationError({"subchapter": "The subchapter belongs to another chapter."})

    @property
    def current_version(self) -> "TemplateVersion | None":
        """The approved version marked current (new drafts' references resolve to it), if any."""
        return self.versions.current().first()


class TemplateVersionQuerySet(models.QuerySet):
    def current(self) -> "TemplateVersionQuerySet":
        """The current version of each template: the approved one marked current (at most one per
        template). What a job names when it names only a template, and what a draft's includes mean."""
        return self.filter(is_current=True, status=TemplateVersion.Status.APPROVED)


class TemplateVersion(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        ARCHIVED = "archived", "Archived"

    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)

    system_prompt = models.TextField(blank=True)
    prompt = models.TextField(blank=True, help_text="Jinja2: the instruction an LLM backend receives.")
    question_template = models.TextField(help_text="Jinja2, rendered by the template backend.")
    answer_template = models.TextField(help_text="Jinja2, rendered by the template backend.")
    context_template = models.TextField(blank=True, help_text="Jinja2, optional.")
    variables = models.JSONField(
        default=dict,
        blank=True,
        help_text='Variable spec, e.g. {"a": {"sampler": "int_range", "min": 1, "max": 9}}.',
    )
    output_schema = models.JSONField(
        default=dict, blank=True, help_text="JSON Schema every generated record must satisfy."
    )
    exemplars = models.JSONField(default=list, blank=True, help_text="Seed examples: a list of variable objects.")
    judge_rubric = models.TextField(
        blank=True,
        help_text="What an LLM judge scores each generated pair against (jobs with a judge_profile); empty: no judge.",
    )
    # {template key: {"version_id", "version", "content_sha256"}}, resolved at publish time.
    pinned_includes = models.JSONField(default=dict, blank=True, editable=False)
    content_sha256 = models.CharField(max_length=64, editable=False)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(
        default=False, editable=False, help_text="The approved version new jobs of this template use by default."
    )

    objects = TemplateVersionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["template__key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["template"], condition=models.Q(is_current=True), name="one_current_version_per_template"
            ),
        ]
        permissions = [
            ("publish_templateversion", "Can publish a template version"),
            ("archive_templateversion", "Can archive a template version"),
        ]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.version} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        self.content_sha256 = self.compute_content_sha256()
        if self.pk is not None:
            stored = TemplateVersion.objects.filter(pk=self.pk).values("status", "content_sha256").first()
            if stored and stored["status"] != self.Status.DRAFT and stored["content_sha256"] != self.content_sha256:
                raise ValidationError(self.immutable_message(stored["status"]))
        super().save(*args, **kwargs)

    def immutable_message(self, status: str | None = None) -> str:
        return IMMUTABLE_VERSION.format(version=self.version, template=self.template.key, status=status or self.status)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def includes_are_pinned(self) -> bool:
        """Whether references render the versions pinned at publish (else the current approved ones)."""
        return self.status == self.Status.APPROVED or (
            self.status == self.Status.ARCHIVED and self.published_at is not None
        )

    def content(self) -> dict:
        return {name: getattr(self, name) for name in CONTENT_FIELDS}

    def compute_content_sha256(self) -> str:
        hashed = self.content()
        if not self.judge_rubric:
            # Only when set, so that versions from before the judge keep the hash they were approved with.
            del hashed["judge_rubric"]
        if self.pinned_includes:
            # Only when set, so that versions without references keep the hash they were approved with.
            hashed["pinned_includes"] = self.pinned_includes
        canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.APPROVED,
        permission="templates_app.publish_templateversion",
    )
    def publish(self, *, by, at) -> None:
        self.published_by = by
        self.published_at = at

    @transition(
        field=status,
        source=[Status.DRAFT, Status.APPROVED],
        target=Status.ARCHIVED,
        permission="templates_app.archive_templateversion",
    )
    def archive(self, *, at) -> None:
        self.archived_at = at
