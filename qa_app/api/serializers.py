from rest_framework import serializers

from synthgov.api.serializers import ModelSerializer, ObjectId, Username, refuse_unknown_ids

from ..models import QAPair
from ..selectors import DEFAULT_QUEUE_ORDER, QUEUE_ORDERS, qa_pair_ids_unknown
from ..services import REJECTION_NEEDS_REASON
from ..services.claims import MAX_EXCLUDED

MAX_BULK_IDS = 10_000
REASON_REQUIRED = {"required": REJECTION_NEEDS_REASON, "blank": REJECTION_NEEDS_REASON}


class QAPairSerializer(ModelSerializer):
    reviewed_by = Username()

    class Meta:
        model = QAPair
        fields = [
            "id",
            "question",
            "answer",
            "context",
            "metadata",
            "tags",
            "locale",
            "tenant_id",
            "source",
            "content_hash",
            "review_status",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "quality_score",
            "scores",
            "flags",
            "job",
            "template_version",
            "record_index",
            "lineage",
            "is_preview",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "source",
            "review_status",
            "review_reason",
            "reviewed_at",
            "quality_score",
            "scores",
            "flags",
            "job",
            "template_version",
            "record_index",
            "lineage",
            "is_preview",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # A pair stays with its tenant: uniqueness and collections are per tenant.
            fields["tenant_id"].read_only = True
        return fields


class ApproveSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(error_messages=REASON_REQUIRED, help_text="What the author should change.")


class ReopenSerializer(ApproveSerializer):
    pass


class BulkReviewSerializer(serializers.Serializer):
    ids = serializers.ListField(child=ObjectId(), min_length=1, max_length=MAX_BULK_IDS)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_ids(self, ids: list[int]) -> list[int]:
        refuse_unknown_ids(qa_pair_ids_unknown(ids), what="QA pairs", consequence="nothing was decided")
        return ids


class BulkReviewResultSerializer(serializers.Serializer):
    decided = serializers.IntegerField()
    skipped = serializers.IntegerField(
        help_text="Pairs that were no longer pending, or that another reviewer has claimed."
    )


class NextSerializer(serializers.Serializer):
    """The queue to take the next pair from: its order and filters, and the caller's skips."""

    order = serializers.ChoiceField(choices=list(QUEUE_ORDERS), required=False, default=DEFAULT_QUEUE_ORDER)
    template_version = ObjectId(required=False)
    job = ObjectId(required=False)
    source = serializers.ChoiceField(choices=QAPair.Source.choices, required=False)
    tenant = serializers.CharField(required=False, max_length=100)
    locale = serializers.CharField(required=False, max_length=35)
    exclude = serializers.ListField(
        child=ObjectId(),
        required=False,
        default=list,
        max_length=MAX_EXCLUDED,
        help_text="Ids the caller skipped and does not want handed back (the API keeps no skip list).",
    )


class EditAndApproveSerializer(serializers.Serializer):
    question = serializers.CharField(trim_whitespace=False)
    answer = serializers.CharField(trim_whitespace=False)
    context = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="What was corrected.")


class EditAndApproveResultSerializer(serializers.Serializer):
    pair = QAPairSerializer()
    flags_added = serializers.ListField(child=serializers.CharField(), help_text="Flag codes the new text raised.")
    flags_removed = serializers.ListField(child=serializers.CharField(), help_text="Flag codes the new text cleared.")
    quality_before = serializers.FloatField(allow_null=True)
    quality_after = serializers.FloatField(allow_null=True)
