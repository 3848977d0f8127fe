"""Webhook endpoints (admin- or API-managed), and the log of what was sent to them.

An endpoint's secret signs every request (Standard Webhooks); it is shown once, when the endpoint
is created, and kept out of the history, the admin and the API. A delivery is one event for one
endpoint, retried with backoff until a 2xx answer or its last attempt; each try is an attempt row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

MAX_URL_CHARS = 2000
MAX_DESCRIPTION_CHARS = 1000
MAX_EXCERPT_CHARS = 1000


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=MAX_URL_CHARS, help_text="http(s) URL that receives a signed POST per event.")
    events = models.JSONField(default=list, blank=True, help_text="The event types it subscribes to.")
    # whsec_<base64>; signs requests. Never shown after creation, never in the history.
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    tenant_id = models.CharField(
        max_length=100, blank=True, help_text="Only this tenant's events; empty: every tenant's (and shared) events."
    )
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION_CHARS)
    disabled_reason = models.TextField(blank=True, editable=False)
    # Given-up deliveries since the last successful one; the endpoint is disabled at
    # SYNTHGOV_WEBHOOK_DISABLE_AFTER_GIVEN_UP.
    consecutive_given_up = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["secret", "consecutive_given_up"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return f"Webhook {self.pk}: {self.url}"


class WebhookDelivery(FSMModelMixin, models.Model):
    """One event for one endpoint, from its announcement until it was received or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (given up)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    tenant_id = models.CharField(max_length=100, blank=True)
    subject = models.CharField(max_length=200, blank=True, help_text="What the event is about, e.g. 'job 12'.")
    payload = models.JSONField()
    webhook_id = models.CharField(max_length=64, unique=True, help_text="The webhook-id header (same on retries).")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due (also pushed ahead while one is being sent); null once finished.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due_idx"),
        ]
        permissions = [("retry_webhookdelivery", "Can retry a webhook delivery now")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"

    @transition(field=status, source=Status.PENDING, target=Status.SUCCEEDED)
    def succeed(self, *, at) -> None:
        self.finished_at = at
        self.next_attempt_at = None

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def give_up(self, *, at) -> None:
        self.finished_at = at
        self.next_attempt_at = None

    @transition(field=status, source=[Status.PENDING, Status.FAILED], target=Status.PENDING)
    def retry(self, *, at) -> None:
        """Due now: one more attempt (a given-up delivery gets one; it is given up again if that fails)."""
        self.finished_at = None
        self.next_attempt_at = at


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, the answer (status code, latency, the start of the body) or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_unique")]

    def __str__(self) -> str:
        return f"Attempt {self.number} of delivery #{self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
