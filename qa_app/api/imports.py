"""/api/v1/imports/: start an import (a multipart upload or a path under SYNTHGOV_IMPORT_DIR),
follow its progress, list its line issues, cancel it. The services decide; these only translate."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from synthgov.api.history import HistoryMixin
from synthgov.api.parsers import JSONParser, MultiPartParser
from synthgov.api.permissions import ViewThenServices
from synthgov.api.serializers import JSONField, ModelSerializer, Username, errors
from tenants_app.api.scoping import TenantScopedViewSetMixin

from ..imports.shapes import SHAPES
from ..models import ImportLineIssue, ImportRun
from ..services import imports as services


class ImportRunSerializer(ModelSerializer):
    created_by = Username()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "file_name",
            "file_sha256",
            "file_bytes",
            "file_format",
            "shape",
            "mapping",
            "tenant_id",
            "locale",
            "chapter_key",
            "subchapter_key",
            "chapter_field",
            "idempotency_key",
            "approve",
            "approval_reason",
            "status",
            "lines_done",
            "imported",
            "duplicates",
            "errors",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The file, as a multipart upload; or give `path`.")
    path = serializers.CharField(
        required=False, max_length=1024, help_text="A file under the server's SYNTHGOV_IMPORT_DIR."
    )
    tenant_id = serializers.CharField(max_length=100)
    file_format = serializers.ChoiceField(choices=ImportRun.Format.values, required=False, allow_blank=True)
    shape = serializers.ChoiceField(choices=SHAPES, required=False, allow_blank=True)
    mapping = JSONField(required=False, allow_null=True)
    locale = serializers.CharField(max_length=35, required=False, allow_blank=True)
    chapter_key = serializers.CharField(max_length=100, required=False, allow_blank=True)
    subchapter_key = serializers.CharField(max_length=100, required=False, allow_blank=True)
    chapter_field = serializers.CharField(max_length=100, required=False, allow_blank=True)
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
    approve = serializers.BooleanField(required=False, default=False)
    approval_reason = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if ("file" in attrs) == ("path" in attrs):
            raise serializers.ValidationError("Send either a file (multipart) or a path under SYNTHGOV_IMPORT_DIR.")
        return attrs


class ImportLineIssueSerializer(ModelSerializer):
    class Meta:
        model = ImportLineIssue
        fields = ["line", "kind", "reason", "raw", "pair"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Imports, newest first"),
    retrieve=extend_schema(summary="An import with its progress and counts"),
    create=extend_schema(
        summary="Import a file of existing QA data (multipart upload, or a server-side path)",
        description="Returns 201 with the run (queued on the q2 cluster; poll it for progress), or 200 "
        "with the earlier run when the same file was imported with the same idempotency key.",
        request={"multipart/form-data": ImportRequestSerializer, "application/json": ImportRequestSerializer},
        responses={200: ImportRunSerializer, 201: ImportRunSerializer, **errors(400, 403)},
    ),
)
class ImportRunViewSet(TenantScopedViewSetMixin, HistoryMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ImportRun.objects.select_related("created_by")
    serializer_class = ImportRunSerializer
    permission_classes = [ViewThenServices]
    parser_classes = [JSONParser, MultiPartParser]
    filterset_fields = ["status", "tenant_id"]

    def create(self, request, *args, **kwargs):
        contract = ImportRequestSerializer(data=request.data)
        contract.is_valid(raise_exception=True)
        options = dict(contract.validated_data)
        upload, path = options.pop("file", None), options.pop("path", "")
        run, created = services.import_run_create(
            request=services.ImportRequest(**{**options, "file_name": getattr(upload, "name", "") or ""}),
            acting_user=request.user,
            path=path,
            upload=upload,
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(
            ImportRunSerializer(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="The lines of an import that made no pair: duplicates and line errors, by line",
        responses={200: ImportLineIssueSerializer(many=True), **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def lines(self, request, pk=None):
        issues = self.get_object().issues.order_by("line")
        kind = request.query_params.get("kind")
        if kind in ImportLineIssue.Kind.values:
            issues = issues.filter(kind=kind)
        page = self.paginate_queryset(issues)
        return self.get_paginated_response(ImportLineIssueSerializer(page, many=True).data)

    @extend_schema(
        summary="Cancel an import after its current batch; what it stored stays",
        request=None,
        responses={200: ImportRunSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        run = services.import_run_cancel(run=self.get_object(), acting_user=request.user)
        return Response(ImportRunSerializer(self.get_queryset().get(pk=run.pk)).data)
