from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from synthgov.api.serializers import ModelSerializer, Username
from templates_app.models import TemplateVersion
from templates_app.selectors import TemplateVersionMissing, template_version_by_key

from ..models import DuplicateRecord, GenerationJob, RejectedArtifact, TargetSurface

WHERE_VERSIONS_ARE = "List them at /api/v1/template-versions/?template_key={key}."
NAME_A_REVISION = "Name a template_revision."
VERSION_OR_TEMPLATE = "Give either template_version (an id) or template (a key) with an optional template_revision."
KEY_MISMATCH = "The Idempotency-Key header and the idempotency_key field differ; send one of them."
HEADER_INVALID = "The Idempotency-Key header: {message}"


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class JobSerializer(ModelSerializer):
    """A job's request contract and result."""

    job_id = serializers.IntegerField(source="pk", read_only=True)
    template = serializers.CharField(source="template_version.template.key", read_only=True)
    template_revision = serializers.IntegerField(source="template_version.version", read_only=True)
    progress = serializers.SerializerMethodField()
    created_by = Username()
    cancelled_by = Username()

    class Meta:
        model = GenerationJob
        fields = [
            "job_id",
            "status",
            "template",
            "template_revision",
            *GenerationJob.REQUEST_FIELDS,
            "accepted_records",
            "rejected_records",
            "duplicate_records",
            "progress",
            "output_manifest",
            "lineage",
            "error",
            "created_by",
            "cancelled_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job: GenerationJob) -> dict:
        return {"done": job.processed_records, "total": job.record_count}


class JobCreateSerializer(serializers.Serializer):
    """Shape and types only: the service checks the contract (locale, taxonomy keys, limits, version status)."""

    template_version = serializers.PrimaryKeyRelatedField(
        queryset=TemplateVersion.objects.select_related("template__chapter", "template__subchapter"), required=False
    )
    template = serializers.SlugField(required=False, help_text="A template key, instead of template_version.")
    template_revision = serializers.IntegerField(
        required=False, min_value=1, help_text="The version number within `template`; default: its current version."
    )
    chapter_key = serializers.CharField(required=False, allow_blank=True, default="")
    subchapter_key = serializers.CharField(required=False, allow_blank=True, default="")
    tenant_id = serializers.CharField(max_length=100)
    locale = serializers.CharField(max_length=35, default="en")
    record_count = serializers.IntegerField(min_value=1)
    target_surface = serializers.ChoiceField(choices=TargetSurface.choices)
    seed = serializers.IntegerField(default=0)
    generator = serializers.CharField(max_length=50, default="template")
    generator_config = serializers.DictField(required=False, default=dict)
    production = serializers.BooleanField(default=True)
    idempotency_key = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Or the Idempotency-Key header."
    )

    def validate(self, attrs):
        if "template_version" in attrs:
            if "template" in attrs or "template_revision" in attrs:
                raise serializers.ValidationError({"template_version": [VERSION_OR_TEMPLATE]})
        elif "template" in attrs:
            attrs["template_version"] = self._resolve(attrs.pop("template"), attrs.pop("template_revision", None))
        else:
            raise serializers.ValidationError({"template_version": [VERSION_OR_TEMPLATE]})
        header_key = self._header_key()
        if header_key and attrs["idempotency_key"] and header_key != attrs["idempotency_key"]:
            raise serializers.ValidationError({"idempotency_key": [KEY_MISMATCH]})
        attrs["idempotency_key"] = header_key or attrs["idempotency_key"]
        return attrs

    def _header_key(self) -> str:
        """The Idempotency-Key header, held to the rules of the idempotency_key field (length, no NUL)."""
        header_key = self.context.get("idempotency_key_header") or ""
        try:
            return self.fields["idempotency_key"].run_validation(header_key)
        except serializers.ValidationError as exc:
            messages = [HEADER_INVALID.format(message=message) for message in exc.detail]
            raise serializers.ValidationError({"idempotency_key": messages}) from exc

    def _resolve(self, key: str, revision: int | None) -> TemplateVersion:
        try:
            return template_version_by_key(
                key=key,
                revision=revision,
                queryset=TemplateVersion.objects.select_related("template__chapter", "template__subchapter"),
            )
        except TemplateVersionMissing as missing:
            message = missing.message
            if missing.template_exists:
                hint = WHERE_VERSIONS_ARE if revision is not None else NAME_A_REVISION
                message = f"{message} {hint.format(key=key)}"
            raise serializers.ValidationError({missing.field: [message]}) from None


class RejectedArtifactSerializer(ModelSerializer):
    class Meta:
        model = RejectedArtifact
        fields = ["id", "job", "record_index", "payload", "reasons", "created_at", "promoted_pair"]
        read_only_fields = fields


class DuplicateRecordSerializer(ModelSerializer):
    class Meta:
        model = DuplicateRecord
        fields = ["id", "job", "record_index", "content_hash", "duplicate_of", "created_at"]
        read_only_fields = fields


class PromoteSerializer(serializers.Serializer):
    """The artifact's content as the reviewer edited it."""

    question = serializers.CharField()
    answer = serializers.CharField()
    context = serializers.CharField(required=False, allow_blank=True, default="")
