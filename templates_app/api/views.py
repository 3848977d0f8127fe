import copy

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from synthgov.api.history import HistoryMixin
from synthgov.api.permissions import ViewThenServices
from synthgov.api.serializers import ReasonSerializer, errors
from synthgov.errors import InvalidInput

from .. import selectors, services
from ..models import Chapter, PromptTemplate, Subchapter, TemplateVersion
from ..sampling import SpecError
from .filters import PromptTemplateFilter, SubchapterFilter, TemplateVersionFilter
from .serializers import (
    ChapterSerializer,
    CoverageRequestSerializer,
    CoverageSerializer,
    PreviewRecordSerializer,
    PreviewRequestSerializer,
    PromptTemplateSerializer,
    PublishSerializer,
    SubchapterSerializer,
    TemplateVersionSerializer,
)


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(403, 404, 409)}))
class ChapterViewSet(viewsets.ModelViewSet):
    queryset = Chapter.objects.all()
    serializer_class = ChapterSerializer
    filterset_fields = ["key"]


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(403, 404, 409)}))
class SubchapterViewSet(viewsets.ModelViewSet):
    queryset = Subchapter.objects.select_related("chapter")
    serializer_class = SubchapterSerializer
    filterset_class = SubchapterFilter


@extend_schema_view(destroy=extend_schema(responses={204: None, **errors(403, 404, 409)}))
class PromptTemplateViewSet(viewsets.ModelViewSet):
    queryset = PromptTemplate.objects.all()
    serializer_class = PromptTemplateSerializer
    filterset_class = PromptTemplateFilter

    def perform_create(self, serializer):
        template = PromptTemplate(**serializer.validated_data)
        serializer.instance = services.prompt_template_save(template=template, acting_user=self.request.user)

    def perform_update(self, serializer):
        template = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(template, name, value)
        services.prompt_template_save(template=template, acting_user=self.request.user)

    def perform_destroy(self, instance):
        services.prompt_template_delete(template=instance, acting_user=self.request.user)


@extend_schema_view(
    create=extend_schema(
        summary="Create a draft version (numbered next, authored by the caller)",
        responses={201: TemplateVersionSerializer, **errors(400, 403)},
    ),
    update=extend_schema(
        summary="Edit a draft; approved and archived versions are immutable (409)",
        responses={200: TemplateVersionSerializer, **errors(400, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Edit a draft; approved and archived versions are immutable (409)",
        responses={200: TemplateVersionSerializer, **errors(400, 403, 404, 409)},
    ),
)
class TemplateVersionViewSet(HistoryMixin, viewsets.ModelViewSet):
    queryset = TemplateVersion.objects.select_related("template", "author", "published_by")
    serializer_class = TemplateVersionSerializer
    permission_classes = [ViewThenServices]
    filterset_class = TemplateVersionFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        version = TemplateVersion(**serializer.validated_data)
        serializer.instance = services.template_version_save_draft(version=version, acting_user=self.request.user)

    def perform_update(self, serializer):
        version = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(version, name, value)
        services.template_version_save_draft(version=version, acting_user=self.request.user)

    @extend_schema(
        summary="Publish a draft (four-eyes: not by its author)",
        request=PublishSerializer,
        responses={200: TemplateVersionSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request, pk=None):
        options = PublishSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        version = services.template_version_publish(
            version=self.get_object(), acting_user=request.user, keep_previous=options.validated_data["keep_previous"]
        )
        return Response(TemplateVersionSerializer(version).data)

    @extend_schema(
        summary="Archive a version",
        request=ReasonSerializer,
        responses={200: TemplateVersionSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def archive(self, request, pk=None):
        options = ReasonSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        version = services.template_version_archive(
            version=self.get_object(), acting_user=request.user, **options.validated_data
        )
        return Response(TemplateVersionSerializer(version).data)

    @extend_schema(
        summary="Copy this version into a new draft (version n+1)",
        request=None,
        responses={201: TemplateVersionSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="new-draft", filter_backends=[])
    def new_draft(self, request, pk=None):
        draft = services.template_version_new_draft(version=self.get_object(), acting_user=request.user)
        return Response(TemplateVersionSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Preview: render records with sampled variables, as a job with this seed would",
        request=PreviewRequestSerializer,
        responses={200: PreviewRecordSerializer(many=True), **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def render(self, request, pk=None):
        options = PreviewRequestSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        version = self.get_object()
        if "variables" in options.validated_data:
            # An unsaved copy: previewing a spec must not change the version, whatever its status.
            version = copy.copy(version)
            version.variables = options.validated_data["variables"]
        records = selectors.version_preview(
            version=version,
            seed=options.validated_data["seed"],
            count=options.validated_data["count"],
            locale=options.validated_data["locale"],
        )
        return Response(PreviewRecordSerializer(records, many=True).data)

    @extend_schema(
        summary="How many distinct variable combinations a job of `record_count` records covers",
        parameters=[OpenApiParameter("record_count", int, required=True)],
        responses={200: CoverageSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def coverage(self, request, pk=None):
        options = CoverageRequestSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        version = self.get_object()
        try:
            (counted,) = selectors.version_coverage(
                version=version, record_counts=(options.validated_data["record_count"],)
            )
        except SpecError as exc:
            raise InvalidInput("variables: " + "; ".join(exc.problems), field="variables") from exc
        return Response(CoverageSerializer(counted).data)
