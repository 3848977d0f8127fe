import base64

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from qa_app.selectors import qa_pairs_with_ids
from synthgov.api.history import HistoryMixin
from synthgov.api.pagination import IdCursorPagination
from synthgov.api.permissions import ViewThenServices, can_view
from synthgov.api.renderers import DownloadRenderer
from synthgov.api.serializers import errors
from synthgov.errors import InvalidInput
from tenants_app.api.scoping import TenantScopedViewSetMixin

from .. import selectors, services
from ..models import Collection, Membership, MembershipFill, Release, ReleaseItem
from .serializers import (
    AddMembersResultSerializer,
    AddMembersSerializer,
    CollectionDetailSerializer,
    CollectionSerializer,
    FillRequestSerializer,
    MembershipFillSerializer,
    MembershipSerializer,
    PairIdsSerializer,
    ReleaseDiffSerializer,
    ReleaseItemSerializer,
    ReleaseRequestSerializer,
    ReleaseSerializer,
    RemoveMembersResultSerializer,
)

FILE_MISSING = (
    "Release {release} lists {name!r}, but the file is missing from storage; ask an administrator to restore it."
)


DIFF_LIMIT_DEFAULT = 100
DIFF_LIMIT_MAX = 1000
DIFF_OTHER_COLLECTION = (
    "Release {against} is of collection '{other}', not '{collection}'; compare releases of one collection."
)
DIFF_NO_PREVIOUS = "{release} is the collection's first release; name the release to compare with in `against`."


@extend_schema_view(
    retrieve=extend_schema(responses={200: CollectionDetailSerializer, **errors(403, 404)}),
    create=extend_schema(responses={201: CollectionSerializer, **errors(400, 403)}),
    update=extend_schema(responses={200: CollectionSerializer, **errors(400, 403, 404)}),
    partial_update=extend_schema(responses={200: CollectionSerializer, **errors(400, 403, 404)}),
)
class CollectionViewSet(
    TenantScopedViewSetMixin,
    HistoryMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    queryset = Collection.objects.select_related("created_by")
    serializer_class = CollectionSerializer
    permission_classes = [ViewThenServices]
    filterset_fields = ["slug", "purpose"]

    def get_serializer_class(self):
        # The detail adds the coverage report (grouped queries), which the list leaves out.
        return CollectionDetailSerializer if self.action == "retrieve" else CollectionSerializer

    @extend_schema(
        summary="Add every approved pair matching a filter (in the background); poll the returned fill",
        request=FillRequestSerializer,
        responses={202: MembershipFillSerializer, **errors(400, 403, 404)},
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["post"],
        url_path="members/add-by-filter",
        permission_classes=[ViewThenServices, can_view(Membership)],
    )
    def add_by_filter(self, request, pk=None):
        collection = self.get_object()
        options = FillRequestSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        fill = services.membership_fill_request(
            collection=collection, acting_user=request.user, **options.validated_data
        )
        data = MembershipFillSerializer(fill, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason", "")
        serializer.instance = services.collection_save(
            collection=Collection(**fields), acting_user=self.request.user, reason=reason
        )

    def perform_update(self, serializer):
        collection = serializer.instance
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason", "")
        for name, value in fields.items():
            setattr(collection, name, value)
        services.collection_save(collection=collection, acting_user=self.request.user, reason=reason)

    def _pairs(self, ids: list[int]):
        return self.scoped(qa_pairs_with_ids(ids), "tenant_id")

    @extend_schema(
        methods=["GET"],
        summary="The collection's members",
        responses={200: MembershipSerializer(many=True), **errors(403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add approved pairs (all or nothing) with a split and a weight",
        request=AddMembersSerializer,
        responses={200: AddMembersResultSerializer, **errors(400, 403, 404)},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove pairs from the collection",
        request=PairIdsSerializer,
        responses={200: RemoveMembersResultSerializer, **errors(400, 403, 404)},
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["get", "post", "delete"],
        pagination_class=IdCursorPagination,
        permission_classes=[ViewThenServices, can_view(Membership)],
    )
    def members(self, request, pk=None):
        collection = self.get_object()
        if request.method == "POST":
            return self._add_members(request, collection)
        if request.method == "DELETE":
            return self._remove_members(request, collection)
        page = self.paginate_queryset(Membership.objects.filter(collection=collection).select_related("added_by"))
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)

    @extend_schema(
        summary="Remove pairs from the collection (for clients that cannot send a body with DELETE)",
        request=PairIdsSerializer,
        responses={200: RemoveMembersResultSerializer, **errors(400, 403, 404)},
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["post"],
        url_path="members/remove",
        permission_classes=[ViewThenServices, can_view(Membership)],
    )
    def remove_members(self, request, pk=None):
        return self._remove_members(request, self.get_object())

    def _add_members(self, request, collection):
        options = AddMembersSerializer(data=request.data, context={"request": request})
        options.is_valid(raise_exception=True)
        result = services.collection_add_pairs(
            collection=collection,
            pairs=self._pairs(options.validated_data["qa_pair_ids"]),
            split=options.validated_data["split"],
            weight=options.validated_data["weight"],
            acting_user=request.user,
        )
        return Response(AddMembersResultSerializer(result).data)

    def _remove_members(self, request, collection):
        options = PairIdsSerializer(data=request.data, context={"request": request})
        options.is_valid(raise_exception=True)
        removed = services.collection_remove_pairs(
            collection=collection, pairs=self._pairs(options.validated_data["qa_pair_ids"]), acting_user=request.user
        )
        return Response(RemoveMembersResultSerializer({"removed": removed}).data)

    @extend_schema(
        methods=["GET"],
        summary="The collection's releases, newest first",
        responses={200: ReleaseSerializer(many=True), **errors(403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Release the collection's approved pairs as a new immutable version, in the formats asked for",
        request=ReleaseRequestSerializer,
        responses={201: ReleaseSerializer, **errors(400, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        permission_classes=[ViewThenServices, can_view(Release)],
    )
    def releases(self, request, pk=None):
        collection = self.get_object()
        if request.method == "POST":
            options = ReleaseRequestSerializer(data=request.data)
            options.is_valid(raise_exception=True)
            release = services.collection_release(
                collection=collection, acting_user=request.user, formats=options.validated_data.get("formats")
            )
            return Response(ReleaseSerializer(release).data, status=status.HTTP_201_CREATED)
        releases = Release.objects.filter(collection=collection).select_related("collection", "created_by")
        page = self.paginate_queryset(releases.order_by("-version"))
        return self.get_paginated_response(ReleaseSerializer(page, many=True).data)


class MembershipFillViewSet(TenantScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    tenant_field = "collection__tenant_id"
    """Fills: "add every approved pair matching a filter" requests, with their progress and counts."""

    queryset = MembershipFill.objects.select_related("requested_by")
    serializer_class = MembershipFillSerializer
    permission_classes = [ViewThenServices]
    filterset_fields = ["collection", "status"]


class ReleaseViewSet(TenantScopedViewSetMixin, HistoryMixin, viewsets.ReadOnlyModelViewSet):
    # A release follows its collection's tenant (a cross-tenant collection's: view-all users only).
    tenant_field = "collection__tenant_id"
    queryset = Release.objects.select_related("collection", "created_by")
    serializer_class = ReleaseSerializer
    permission_classes = [ViewThenServices]
    filterset_fields = ["collection", "status", "version"]

    @extend_schema(
        summary="What changed from another release of the collection (default: the previous one) to this one",
        parameters=[
            OpenApiParameter("against", int, description="The release to compare with (same collection)."),
            OpenApiParameter(
                "limit",
                int,
                description=f"Pair ids listed per category (default {DIFF_LIMIT_DEFAULT}, at most {DIFF_LIMIT_MAX}).",
            ),
        ],
        responses={200: ReleaseDiffSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, filter_backends=[], methods=["get"])
    def diff(self, request, pk=None):
        release = self.get_object()
        against = self._against(request, release)
        limit = self._int_param(request, "limit", DIFF_LIMIT_DEFAULT, low=0, high=DIFF_LIMIT_MAX)
        diff = selectors.release_diff(release, against)
        pair_ids = {
            name: selectors.release_diff_pair_ids(release, against, name, limit=limit) if diff.counts[name] else []
            for name in selectors.DIFF_CATEGORIES
        }
        return Response(
            ReleaseDiffSerializer(
                {"release": release.pk, "against": against.pk, "counts": diff.counts, "pair_ids": pair_ids}
            ).data
        )

    @staticmethod
    def _int_param(request, name: str, default: int, *, low: int, high: int) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationError({name: [f"A whole number from {low} to {high}."]})
        return int(raw)

    def _against(self, request, release: Release) -> Release:
        if request.query_params.get("against") in (None, ""):
            previous = selectors.previous_release(release)
            if previous is None:
                raise ValidationError({"against": [DIFF_NO_PREVIOUS.format(release=release)]})
            return previous
        against_id = self._int_param(request, "against", 0, low=1, high=2**63 - 1)
        against = self.get_queryset().filter(pk=against_id).first()
        if against is None:
            raise ValidationError({"against": [f"No release with id {against_id}."]})
        if against.collection_id != release.collection_id:
            raise ValidationError(
                {
                    "against": [
                        DIFF_OTHER_COLLECTION.format(
                            against=against, other=against.collection.slug, collection=release.collection.slug
                        )
                    ]
                }
            )
        return against

    @extend_schema(summary="The released pairs", responses={200: ReleaseItemSerializer(many=True), **errors(403, 404)})
    @action(
        detail=True,
        filter_backends=[],
        methods=["get"],
        pagination_class=IdCursorPagination,
        permission_classes=[ViewThenServices, can_view(ReleaseItem)],
    )
    def items(self, request, pk=None):
        page = self.paginate_queryset(ReleaseItem.objects.filter(release=self.get_object()))
        return self.get_paginated_response(ReleaseItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Download one of the release's files; its sha256 is in the Repr-Digest and X-Content-SHA256 headers",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The file, streamed."),
            **errors(403, 404),
        },
    )
    @action(
        detail=True,
        filter_backends=[],
        methods=["get"],
        url_path=r"files/(?P<name>.+)",
        renderer_classes=[JSONRenderer, DownloadRenderer],
    )
    def download(self, request, pk=None, name=None):
        release = self.get_object()
        # Only names the release itself recorded are served, so no name can reach outside its directory.
        try:
            path = services.release_file_path(release, name)
        except InvalidInput as exc:
            raise NotFound(exc.message) from exc
        entry = next(entry for entry in release.files if entry["name"] == name)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it when the response is sent
        except FileNotFoundError as exc:
            raise NotFound(FILE_MISSING.format(release=release, name=name)) from exc
        response = FileResponse(handle, as_attachment=True, filename=services.release_download_name(name))
        response["X-Content-SHA256"] = entry["sha256"]
        response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(entry['sha256'])).decode()}:"
        return response
