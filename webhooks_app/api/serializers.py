from rest_framework import serializers

from synthgov.api.serializers import ModelSerializer, Username

from ..events import EVENTS
from ..models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINT_FIELDS = [
    "id",
    "url",
    "events",
    "active",
    "tenant_id",
    "description",
    "disabled_reason",
    "created_by",
    "created_at",
]


class WebhookEndpointSerializer(ModelSerializer):
    """An endpoint as every answer but the creation shows it: never the secret."""

    url = serializers.CharField(
        max_length=MAX_URL_CHARS, help_text="http(s) URL that receives a signed POST per event."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENTS)),
        allow_empty=False,
        max_length=len(EVENTS),
        help_text="The event types it subscribes to.",
    )
    description = serializers.CharField(max_length=MAX_DESCRIPTION_CHARS, required=False, allow_blank=True)
    tenant_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Only this tenant's events; empty: every tenant's (and shared) events.",
    )
    created_by = Username()

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = ["id", "disabled_reason", "created_by", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The answer to a creation: the endpoint and, this once, its signing secret."""

    secret = serializers.CharField(
        read_only=True, help_text="whsec_…: verify requests with it. Shown only in this answer, never again."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]


class WebhookAttemptSerializer(ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "status_code", "latency_ms", "response_excerpt", "error"]
        read_only_fields = fields


DELIVERY_FIELDS = [
    "id",
    "endpoint",
    "event",
    "subject",
    "tenant_id",
    "webhook_id",
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "created_at",
    "finished_at",
    "payload",
]


class WebhookDeliverySerializer(ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = DELIVERY_FIELDS
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True, help_text="Every attempt, first to last.")

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*DELIVERY_FIELDS, "attempt_log"]
        read_only_fields = fields
