from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from synthgov.api.history import HistoryMixin
from synthgov.api.pagination import IdCursorPagination
from synthgov.api.permissions import ViewThenServices
from synthgov.api.serializers import errors
from tenants_app.api.scoping import TenantScopedViewSetMixin

from .. import services
from ..agreement import agreement_figures
from ..models import QAPair
from ..selectors import decisions_visible_to
from .filters import QAPairFilter
from .serializers import (
    AdjudicateSerializer,
    AgreementSerializer,
    ApproveSerializer,
    BulkReviewResultSerializer,
    BulkReviewSerializer,
    EditAndApproveResultSerializer,
    EditAndApproveSerializer,
    NextSerializer,
    PairDecisionsSerializer,
    QAPairSerializer,
    RejectSerializer,
    ReopenSerializer,
)


@extend_schema_view(
    create=extend_schema(
        summary="Write a pair (source operator, pending review)", responses={201: QAPairSerializer, **errors(400, 403)}
    ),
    partial_update=extend_schema(
        summary="Edit a pair's text; an approved pair goes back to review",
        responses={200: QAPairSerializer, **errors(400, 403, 404)},
    ),
)
class QAPairViewSet(
    TenantScopedViewSetMixin,
    HistoryMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    queryset = QAPair.objects.select_related("reviewed_by")
    serializer_class = QAPairSerializer
    permission_classes = [ViewThenServices]
    pagination_class = IdCursorPagination
    filterset_class = QAPairFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.qa_pair_create(
            pair=QAPair(**serializer.validated_data), acting_user=self.request.user
        )

    def perform_update(self, serializer):
        services.qa_pair_edit(pair=serializer.instance, acting_user=self.request.user, **serializer.validated_data)

    def _decided(self, pair) -> Response:
        return Response(QAPairSerializer(pair).data)

    @extend_schema(
        summary="Approve a pending pair",
        request=ApproveSerializer,
        responses={200: QAPairSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None):
        options = ApproveSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        return self._decided(
            services.qa_pair_approve(pair=self.get_object(), acting_user=request.user, **options.validated_data)
        )

    @extend_schema(
        summary="Reject a pending pair, with a reason (free text, a reject reason's code, or both)",
        request=RejectSerializer,
        responses={200: QAPairSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request, pk=None):
        options = RejectSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        return self._decided(
            services.qa_pair_reject(pair=self.get_object(), acting_user=request.user, **options.validated_data)
        )

    @extend_schema(
        summary="Send a decided pair back to review (a new round), with a reason",
        request=ReopenSerializer,
        responses={200: QAPairSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def reopen(self, request, pk=None):
        options = ReopenSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        return self._decided(
            services.qa_pair_reopen(pair=self.get_object(), acting_user=request.user, **options.validated_data)
        )

    @extend_schema(
        summary="Approve or reject many pairs; pairs no longer pending are skipped",
        request=BulkReviewSerializer,
        responses={200: BulkReviewResultSerializer, **errors(400, 403, 409)},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def review(self, request):
        decision = BulkReviewSerializer(data=request.data, context={"request": request})
        decision.is_valid(raise_exception=True)
        result = services.qa_pairs_review(
            # Another tenant's ids are skipped like unknown ones (never confirmed to exist).
            pairs=self.get_queryset().filter(pk__in=decision.validated_data["ids"]),
            approve=decision.validated_data["decision"] == "approve",
            acting_user=request.user,
            reason=decision.validated_data["reason"],
            reason_code=decision.validated_data["reason_code"],
        )
        return Response(BulkReviewResultSerializer(result).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Decide a pair on which two reviewers disagreed (final; needs adjudicate_qapair)",
        request=AdjudicateSerializer,
        responses={200: QAPairSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def adjudicate(self, request, pk=None):
        options = AdjudicateSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        data = options.validated_data
        return self._decided(
            services.qa_pair_adjudicate(
                pair=self.get_object(),
                approve=data["decision"] == "approve",
                acting_user=request.user,
                reason=data["reason"],
                reason_code=data["reason_code"],
            )
        )

    @extend_schema(
        summary="The pair's individual review decisions (blind: others' decisions of an open round are hidden)",
        responses={200: PairDecisionsSerializer, **errors(403, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def decisions(self, request, pk=None):
        visible, hidden = decisions_visible_to(self.get_object(), request.user)
        return Response(PairDecisionsSerializer({"decisions": visible, "hidden": hidden}).data)

    @extend_schema(
        summary="Reviewer agreement (percent, Cohen's kappa) and how well the LLM judge predicts decisions",
        responses={200: AgreementSerializer, **errors(403)},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def agreement(self, request):
        return Response(AgreementSerializer(agreement_figures(user=request.user)).data)

    @extend_schema(
        summary="Claim the next pending pair of a queue for the caller",
        description=(
            "Hands the caller the next pair of the queue that the order and filters describe, claimed for "
            "SYNTHGOV_REVIEW_CLAIM_SECONDS: no other reviewer is handed it meanwhile. The caller's earlier "
            "claim ends. 204 when the queue has no pair left for the caller."
        ),
        request=NextSerializer,
        responses={200: QAPairSerializer, 204: None, **errors(400, 403)},
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def next(self, request):
        queue = NextSerializer(data=request.data)
        queue.is_valid(raise_exception=True)
        options = dict(queue.validated_data)
        exclude = options.pop("exclude")
        pair = services.qa_pair_claim_next(acting_user=request.user, filters=options, exclude=exclude)
        if pair is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._decided(pair)

    @extend_schema(
        summary="Skip a pair: the caller's claim on it ends",
        request=None,
        responses={200: QAPairSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def skip(self, request, pk=None):
        pair = self.get_object()
        services.qa_pair_skip(pair=pair, acting_user=request.user)
        return self._decided(pair)

    @extend_schema(
        summary="Correct a pending pair's text and approve it in one step",
        description="Every deterministic check runs again on the new text; the answer says which flags changed.",
        request=EditAndApproveSerializer,
        responses={200: EditAndApproveResultSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="edit-and-approve", filter_backends=[])
    def edit_and_approve(self, request, pk=None):
        edit = EditAndApproveSerializer(data=request.data)
        edit.is_valid(raise_exception=True)
        result = services.qa_pair_edit_and_approve(
            pair=self.get_object(), acting_user=request.user, **edit.validated_data
        )
        return Response(EditAndApproveResultSerializer(result).data)
