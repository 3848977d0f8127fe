from rest_framework import serializers

from qa_app.selectors import qa_pair_ids_unknown
from synthgov.api.serializers import ModelSerializer, ObjectId, Username, refuse_unknown_ids

from ..models import Collection, Membership, Release, ReleaseItem, Split

MAX_BULK_IDS = 10_000


class CollectionSerializer(ModelSerializer):
    created_by = Username()
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Why (kept in the history); needed to let synthetic pairs into an evaluation collection.",
    )

    class Meta:
        model = Collection
        fields = [
            "id",
            "slug",
            "name",
            "purpose",
            "allowed_sources",
            "allow_synthetic_in_evaluation",
            "split_ratios",
            "seed",
            "tenant_id",
            "cross_tenant",
            "allow_pii",
            "created_by",
            "created_at",
            "reason",
        ]


class MembershipSerializer(ModelSerializer):
    added_by = Username()
    # Empty while the split is assigned by hash at release: "" is one of the values.
    split = serializers.ChoiceField(choices=Split.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "qa_pair", "split", "weight", "added_by", "added_at"]
        read_only_fields = fields


class PairIdsSerializer(serializers.Serializer):
    qa_pair_ids = serializers.ListField(child=ObjectId(), min_length=1, max_length=MAX_BULK_IDS)

    def validate_qa_pair_ids(self, ids: list[int]) -> list[int]:
        refuse_unknown_ids(qa_pair_ids_unknown(ids), what="QA pairs", consequence="nothing was changed")
        return ids


class AddMembersSerializer(PairIdsSerializer):
    split = serializers.ChoiceField(
        choices=Split.choices, required=False, allow_blank=True, default="", help_text="Empty: assigned by hash."
    )
    weight = serializers.FloatField(default=1.0, help_text="Greater than 0.")


class AddMembersResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    already_members = serializers.IntegerField()


class RemoveMembersResultSerializer(serializers.Serializer):
    removed = serializers.IntegerField()


class ReleaseSerializer(ModelSerializer):
    collection_slug = serializers.CharField(source="collection.slug", read_only=True)
    created_by = Username()

    class Meta:
        model = Release
        fields = [
            "id",
            "collection",
            "collection_slug",
            "version",
            "status",
            "manifest",
            "files",
            "created_by",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class ReleaseItemSerializer(ModelSerializer):
    class Meta:
        model = ReleaseItem
        fields = ["id", "qa_pair", "split", "weight", "content_hash"]
        read_only_fields = fields
