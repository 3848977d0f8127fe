from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from qa_app.selectors import qa_pair_ids_unknown
from synthgov.api.serializers import ModelSerializer, ObjectId, Username, refuse_unknown_ids
from synthgov.errors import InvalidInput

from .. import selectors
from ..exporters import EXPORTERS, clean_formats
from ..models import Collection, Membership, MembershipFill, Release, ReleaseItem, Split
from ..services import FILL_FILTERS

MAX_BULK_IDS = 10_000
MAX_FORMAT_CHARS = 40


def _formats_field(help_text: str, **kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_FORMAT_CHARS),
        min_length=1,
        max_length=len(EXPORTERS),
        help_text=f"{help_text} Format keys: {', '.join(EXPORTERS)}.",
        **kwargs,
    )


def _valid_formats(formats: list[str]) -> list[str]:
    try:
        return clean_formats(formats)
    except InvalidInput as exc:
        raise serializers.ValidationError(exc.message) from exc


class CollectionSerializer(ModelSerializer):
    created_by = Username()
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Why (kept in the history); needed to let synthetic pairs into an evaluation collection.",
    )
    default_formats = _formats_field("Formats a release writes unless it asks for others.", required=False)

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
            "coverage_targets",
            "description",
            "default_formats",
            "tenant_id",
            "cross_tenant",
            "allow_pii",
            "created_by",
            "created_at",
            "reason",
        ]

    def validate_default_formats(self, formats: list[str]) -> list[str]:
        return _valid_formats(formats)


class ReleaseRequestSerializer(serializers.Serializer):
    formats = _formats_field("Formats to write (default: the collection's default_formats).", required=False)

    def validate_formats(self, formats: list[str]) -> list[str]:
        return _valid_formats(formats)


class CoverageTargetSerializer(serializers.Serializer):
    target = serializers.IntegerField()
    approved = serializers.IntegerField(help_text="Approved members in this chapter or subchapter.")
    missing = serializers.IntegerField()


class CollectionDetailSerializer(CollectionSerializer):
    coverage = serializers.SerializerMethodField(help_text="Approved members against each coverage target.")

    class Meta(CollectionSerializer.Meta):
        fields = [*CollectionSerializer.Meta.fields, "coverage"]

    @extend_schema_field(serializers.DictField(child=CoverageTargetSerializer()))
    def get_coverage(self, collection) -> dict:
        return selectors.coverage_summary(collection)


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
        user = self.context["request"].user if "request" in self.context else None
        refuse_unknown_ids(qa_pair_ids_unknown(ids, user=user), what="QA pairs", consequence="nothing was changed")
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
            "formats",
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


class FillRequestSerializer(serializers.Serializer):
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="QA pair filters, as the qa-pairs list takes them: "
        + ", ".join(FILL_FILTERS)
        + ". flagged=false takes flag-free pairs only. Only approved, non-preview pairs are taken.",
    )
    split = serializers.ChoiceField(
        choices=Split.choices, required=False, allow_blank=True, default="", help_text="Empty: assigned by hash."
    )
    weight = serializers.FloatField(default=1.0, help_text="Greater than 0.")


class MembershipFillSerializer(ModelSerializer):
    requested_by = Username()
    url = serializers.SerializerMethodField(help_text="Poll this for progress.")
    progress_percent = serializers.IntegerField(read_only=True)
    split = serializers.ChoiceField(choices=Split.choices, allow_blank=True, read_only=True)

    class Meta:
        model = MembershipFill
        fields = [
            "id",
            "url",
            "collection",
            "filters",
            "split",
            "weight",
            "status",
            "matched",
            "processed",
            "added",
            "already_members",
            "refused",
            "refused_by_rule",
            "progress_percent",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, fill) -> str:
        return reverse("membershipfill-detail", args=[fill.pk], request=self.context.get("request"))


class ReleaseDiffSerializer(serializers.Serializer):
    release = serializers.IntegerField()
    against = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text=", ".join(selectors.DIFF_CATEGORIES))
    pair_ids = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="The first `limit` pair ids of each category, ascending.",
    )
