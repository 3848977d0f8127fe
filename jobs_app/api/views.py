import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from qa_app.api.serializers import QAPairSerializer
from synthgov.api.filters import ObjectIdFilter
from synthgov.api.history import HistoryMixin
from synthgov.api.pagination import IdCursorPagination
from synthgov.api.permissions import ViewThenServices, can_view
from synthgov.api.serializers import ReasonSerializer, errors
from tenants_app.api.scoping import TenantScopedViewSetMixin

from .. import services
from ..models import DuplicateRecord, GenerationJob, RejectedArtifact
from .serializers import (
    DuplicateRecordSerializer,
    JobCreateSerializer,
    JobSerializer,
    PromoteSerializer,
    RejectedArtifactSerializer,
)


class JobFilter(django_filters.FilterSet):
    template_key = django_filters.CharFilter(field_name="template_version__template__key")

    class Meta:
        model = GenerationJob
        fields = ["status", "tenant_id", "template_version", "template_key", "target_surface", "production"]


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="The same key with the same request returns the same job (200); with another request, 409.",
)


@extend_schema_view(
    create=extend_schema(
        summary="Trigger a job (idempotent with an Idempotency-Key)",
        parameters=[IDEMPOTENCY_KEY],
        request=JobCreateSerializer,
        responses={
            201: OpenApiResponse(JobSerializer, description="A new job, queued."),
            200: OpenApiResponse(JobSerializer, description="The job this idempotency key already made."),
            **errors(400, 403, 409),
        },
    ),
)
class JobViewSet(TenantScopedViewSetMixin, HistoryMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = GenerationJob.objects.select_related("template_version__template", "created_by", "cancelled_by")
    serializer_class = JobSerializer
    permission_classes = [ViewThenServices]
    filterset_class = JobFilter

    def get_serializer_class(self):
        # The browsable API's form, too, asks for the request contract rather than showing the result.
        return JobCreateSerializer if self.action == "create" else JobSerializer

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "idempotency_key_header": self.request.headers.get("Idempotency-Key", ""),
        }

    def create(self, request, *args, **kwargs):
        contract = self.get_serializer(data=request.data)
        contract.is_valid(raise_exception=True)
        job, created = services.job_trigger(
            request=services.JobRequest(**contract.validated_data), acting_user=request.user
        )
        job = self.get_queryset().get(pk=job.pk)
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Cancel a pending or running job",
        request=ReasonSerializer,
        responses={200: JobSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        options = ReasonSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        job = services.job_cancel(job=self.get_object(), acting_user=request.user, **options.validated_data)
        return Response(JobSerializer(self.get_queryset().get(pk=job.pk)).data)

    @extend_schema(
        summary="Resume a failed or cancelled job with the records it has not produced yet",
        description="Its unfinished shards are queued again and continue from their last committed batch; "
        "no record is produced twice. The job is running again (pending if it never started).",
        request=ReasonSerializer,
        responses={200: JobSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def resume(self, request, pk=None):
        options = ReasonSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        job = services.job_resume(job=self.get_object(), acting_user=request.user, **options.validated_data)
        return Response(JobSerializer(self.get_queryset().get(pk=job.pk)).data)

    @extend_schema(
        summary="The job's rejected records, with the reasons",
        responses={200: RejectedArtifactSerializer(many=True), **errors(403, 404)},
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["get"],
        pagination_class=IdCursorPagination,
        permission_classes=[ViewThenServices, can_view(RejectedArtifact)],
    )
    def rejected(self, request, pk=None):
        artifacts = RejectedArtifact.objects.filter(job=self.get_object())
        page = self.paginate_queryset(artifacts)
        return self.get_paginated_response(RejectedArtifactSerializer(page, many=True).data)

    @extend_schema(
        summary="The job's duplicate records, each with the pair holding that content",
        responses={200: DuplicateRecordSerializer(many=True), **errors(403, 404)},
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["get"],
        pagination_class=IdCursorPagination,
        permission_classes=[ViewThenServices, can_view(DuplicateRecord)],
    )
    def duplicates(self, request, pk=None):
        duplicates = DuplicateRecord.objects.filter(job=self.get_object())
        page = self.paginate_queryset(duplicates)
        return self.get_paginated_response(DuplicateRecordSerializer(page, many=True).data)


class RejectedArtifactFilter(django_filters.FilterSet):
    job = ObjectIdFilter(field_name="job_id")

    class Meta:
        model = RejectedArtifact
        fields = ["job"]


class RejectedArtifactViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    # A rejected artifact follows its job's tenant.
    tenant_field = "job__tenant_id"
    queryset = RejectedArtifact.objects.all()
    serializer_class = RejectedArtifactSerializer
    permission_classes = [ViewThenServices]
    pagination_class = IdCursorPagination
    filterset_class = RejectedArtifactFilter

    @extend_schema(
        summary="Promote an edited rejected record to a pending QA pair",
        request=PromoteSerializer,
        responses={201: QAPairSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def promote(self, request, pk=None):
        content = PromoteSerializer(data=request.data)
        content.is_valid(raise_exception=True)
        pair = services.rejected_artifact_promote(
            artifact=self.get_object(), acting_user=request.user, **content.validated_data
        )
        return Response(QAPairSerializer(pair).data, status=status.HTTP_201_CREATED)
