from django.conf import settings
from rest_framework import serializers

from synthgov.api.serializers import ModelSerializer, Username, model_clean

from ..models import CONTENT_FIELDS, GOVERNANCE_FIELDS, Chapter, PromptTemplate, Subchapter, TemplateVersion
from ..selectors import PREVIEW_MAX_RECORDS


class ChapterSerializer(ModelSerializer):
    class Meta:
        model = Chapter
        fields = ["id", "key", "title"]


class SubchapterSerializer(ModelSerializer):
    chapter_key = serializers.CharField(source="chapter.key", read_only=True)

    class Meta:
        model = Subchapter
        fields = ["id", "chapter", "chapter_key", "key", "title"]


class PromptTemplateSerializer(ModelSerializer):
    class Meta:
        model = PromptTemplate
        fields = ["id", "key", "name", "chapter", "subchapter", "description", "created_at"]

    def validate(self, attrs):
        merged = {field: getattr(self.instance, field) for field in ("chapter", "subchapter")} if self.instance else {}
        model_clean(PromptTemplate(**{**merged, **attrs}))
        return attrs


class TemplateVersionSerializer(ModelSerializer):
    template_key = serializers.CharField(source="template.key", read_only=True)
    author = Username()
    published_by = Username()

    class Meta:
        model = TemplateVersion
        fields = [
            "id",
            "template",
            "template_key",
            *CONTENT_FIELDS,
            "pinned_includes",
            *GOVERNANCE_FIELDS,
        ]
        read_only_fields = ["version", "status", "is_current", "pinned_includes", "content_sha256"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            # A version stays with its template; a new template starts with a new version.
            fields["template"].read_only = True
        return fields


class PublishSerializer(serializers.Serializer):
    keep_previous = serializers.BooleanField(
        default=False, help_text="Keep the previous current version approved instead of archiving it."
    )


class PreviewRequestSerializer(serializers.Serializer):
    seed = serializers.IntegerField(default=0)
    count = serializers.IntegerField(default=5, min_value=1, max_value=PREVIEW_MAX_RECORDS)
    locale = serializers.CharField(default="en", max_length=35)
    variables = serializers.DictField(
        required=False,
        help_text="A variables spec to try instead of the saved one (nothing is saved), "
        'e.g. {"a": {"sampler": "int_range", "min": 1, "max": 9}}.',
    )


class PreviewRecordSerializer(serializers.Serializer):
    record_index = serializers.IntegerField()
    variables = serializers.DictField(help_text="The sampled variables that produced this record.")
    rendered = serializers.DictField(
        child=serializers.CharField(), allow_null=True, help_text="Field -> rendered text; null when the record failed."
    )
    error = serializers.CharField(allow_null=True, help_text="What failed, naming the field and line.")


class CoverageRequestSerializer(serializers.Serializer):
    record_count = serializers.IntegerField(min_value=1)

    def validate_record_count(self, record_count: int) -> int:
        maximum = settings.SYNTHGOV_MAX_RECORD_COUNT
        if record_count > maximum:
            raise serializers.ValidationError(f"A job has at most {maximum:,} records; got {record_count:,}.")
        return record_count


class CoverageSerializer(serializers.Serializer):
    combinations = serializers.IntegerField(
        allow_null=True, help_text="Distinct variable combinations; null: unbounded."
    )
    record_count = serializers.IntegerField()
    covered_at_most = serializers.IntegerField()
    expected_distinct = serializers.FloatField(allow_null=True)
    unbounded = serializers.ListField(
        child=serializers.CharField(), help_text="Variables that make the count unbounded."
    )
    exact = serializers.BooleanField(help_text="False when `combinations` is an upper bound.")
