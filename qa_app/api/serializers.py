from rest_framework import serializers

from synthgov.api.serializers import ModelSerializer, ObjectId, Username, refuse_unknown_ids

from ..models import QAPair, ReviewDecision
from ..selectors import DEFAULT_QUEUE_ORDER, QUEUE_ORDERS, qa_pair_ids_unknown
from ..services import REJECTION_NEEDS_REASON, REOPEN_NEEDS_REASON
from ..services.claims import MAX_EXCLUDED

MAX_BULK_IDS = 10_000
REASON_REQUIRED = {"required": REJECTION_NEEDS_REASON, "blank": REJECTION_NEEDS_REASON}
REOPEN_REASON_REQUIRED = {"required": REOPEN_NEEDS_REASON, "blank": REOPEN_NEEDS_REASON}
REASON_CODE_HELP = "The code of an active reject reason (managed in the admin); with or instead of `reason`."


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
            "decisions_needed",
            "review_round",
            "quality_score",
            "scores",
            "flags",
            "job",
            "template_version",
            "record_index",
            "lineage",
            "chapter_key",
            "subchapter_key",
            "is_preview",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "source",
            "review_status",
            "review_reason",
            "reviewed_at",
            "decisions_needed",
            "review_round",
            "quality_score",
            "scores",
            "flags",
            "job",
            "template_version",
            "record_index",
            "lineage",
            "chapter_key",
            "subchapter_key",
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
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="What the author should change."
    )
    reason_code = serializers.SlugField(required=False, allow_blank=True, default="", help_text=REASON_CODE_HELP)

    def validate(self, attrs):
        if not attrs["reason"].strip() and not attrs["reason_code"]:
            raise serializers.ValidationError({"reason": [REJECTION_NEEDS_REASON]})
        return attrs


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        error_messages=REOPEN_REASON_REQUIRED, help_text="What the next reviewer should look at; required."
    )


class AdjudicateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_code = serializers.SlugField(required=False, allow_blank=True, default="", help_text=REASON_CODE_HELP)

    def validate(self, attrs):
        if attrs["decision"] == "reject" and not attrs["reason"].strip() and not attrs["reason_code"]:
            raise serializers.ValidationError({"reason": [REJECTION_NEEDS_REASON]})
        return attrs


class ReviewDecisionSerializer(ModelSerializer):
    reviewer = Username()
    reason_code = serializers.SlugRelatedField(source="reject_reason", slug_field="code", read_only=True)

    class Meta:
        model = ReviewDecision
        fields = [
            "id",
            "reviewer",
            "decision",
            "reason",
            "reason_code",
            "round",
            "is_adjudication",
            "original",
            "edited",
            "decided_at",
        ]
        read_only_fields = fields


class PairDecisionsSerializer(serializers.Serializer):
    decisions = ReviewDecisionSerializer(many=True, help_text="Oldest first; never changed once written.")
    hidden = serializers.IntegerField(
        help_text="Decisions of the open round by other reviewers, hidden until the round is over (blind review)."
    )


class AgreementFiguresSerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="Pairs decided by two reviewers in one round.")
    agreed = serializers.IntegerField()
    percent_agreement = serializers.FloatField(allow_null=True)
    kappa = serializers.FloatField(allow_null=True, help_text="Cohen's kappa; null when undefined.")


class VersionAgreementSerializer(AgreementFiguresSerializer):
    template_version = serializers.IntegerField(allow_null=True)


class ReviewerPairAgreementSerializer(AgreementFiguresSerializer):
    reviewers = serializers.ListField(child=serializers.CharField(), help_text="The two usernames.")


class JudgeFitSerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="Decided pairs with a judge score.")
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    auc = serializers.FloatField(allow_null=True, help_text="ROC AUC of the score as a predictor of approval.")
    best_threshold = serializers.FloatField(
        allow_null=True, help_text="Approve when score ≥ this agrees most with the humans (null: approve none)."
    )
    agreement_at_best_threshold = serializers.FloatField(allow_null=True, help_text="Percent of pairs.")


class VersionJudgeFitSerializer(JudgeFitSerializer):
    template_version = serializers.IntegerField(allow_null=True)


class AgreementSerializer(serializers.Serializer):
    overall = AgreementFiguresSerializer()
    by_template_version = VersionAgreementSerializer(many=True)
    by_reviewer_pair = ReviewerPairAgreementSerializer(many=True)
    judge = JudgeFitSerializer()
    judge_by_template_version = VersionJudgeFitSerializer(many=True)


class BulkReviewSerializer(serializers.Serializer):
    ids = serializers.ListField(child=ObjectId(), min_length=1, max_length=MAX_BULK_IDS)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    reason_code = serializers.SlugField(required=False, allow_blank=True, default="", help_text=REASON_CODE_HELP)

    def validate_ids(self, ids: list[int]) -> list[int]:
        user = self.context["request"].user if "request" in self.context else None
        refuse_unknown_ids(qa_pair_ids_unknown(ids, user=user), what="QA pairs", consequence="nothing was decided")
        return ids


class BulkReviewResultSerializer(serializers.Serializer):
    decided = serializers.IntegerField(help_text="Pairs this review approved or rejected.")
    skipped = serializers.IntegerField(
        help_text="Pairs not decided: no longer pending, claimed by another reviewer, "
        "already decided by you in this round, or your own text."
    )
    recorded = serializers.IntegerField(help_text="Decisions recorded on pairs that wait for a second reviewer.")
    escalated = serializers.IntegerField(help_text="Pairs whose second decision disagreed: awaiting adjudication.")
    own_content = serializers.IntegerField(help_text="Of the skipped: pairs you wrote or edited (four eyes).")


class NextSerializer(serializers.Serializer):
    """The queue to take the next pair from: its order and filters, and the caller's skips."""

    order = serializers.ChoiceField(choices=list(QUEUE_ORDERS), required=False, default=DEFAULT_QUEUE_ORDER)
    template_version = ObjectId(required=False)
    job = ObjectId(required=False)
    source = serializers.ChoiceField(choices=QAPair.Source.choices, required=False)
    tenant_id = serializers.CharField(required=False, max_length=100)
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
