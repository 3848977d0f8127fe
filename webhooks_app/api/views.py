"""/api/v1/webhooks/ (endpoints) and /api/v1/webhook-deliveries/ (their log): the same model
permissions as the admin; the services decide, these only translate."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from synthgov.api.filters import ObjectIdFilter
from synthgov.api.history import HistoryMixin
from synthgov.api.permissions import ModelPermissions, ViewThenServices, can_view
from synthgov.api.serializers import errors
from tenants_app.api.scoping import TenantScopedViewSetMixin

from .. import services
from ..models import WebhookDelivery, WebhookEndpoint
from .serializers import (
    WebhookDeliveryDetailSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)

ENDPOINT_INPUT = ("url", "events", "description", "tenant_id", "active")


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints (never their secrets)"),
    retrieve=extend_schema(summary="A webhook endpoint (never its secret)"),
    create=extend_schema(
        summary="Add a webhook endpoint; the answer shows its signing secret, this once",
        responses={201: WebhookEndpointCreatedSerializer, **errors(400, 403)},
    ),
    update=extend_schema(responses={200: WebhookEndpointSerializer, **errors(400, 403, 404)}),
    partial_update=extend_schema(
        summary="Change an endpoint; `active: true` enables a disabled one and sends what waited",
        responses={200: WebhookEndpointSerializer, **errors(400, 403, 404)},
    ),
    destroy=extend_schema(summary="Delete an endpoint and its delivery log", responses={204: None, **errors(403, 404)}),
)
class WebhookEndpointViewSet(TenantScopedViewSetMixin, HistoryMixin, viewsets.ModelViewSet):
    # An endpoint without a tenant hears every tenant's events: only who sees every tenant sees it.
    queryset = WebhookEndpoint.objects.select_related("created_by")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [ModelPermissions]
    filterset_fields = ["active", "tenant_id"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {name: serializer.validated_data[name] for name in ENDPOINT_INPUT if name in serializer.validated_data}
        endpoint, secret = services.webhook_endpoint_create(acting_user=request.user, **fields)
        endpoint = self.get_queryset().get(pk=endpoint.pk)
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        fields = {name: serializer.validated_data[name] for name in ENDPOINT_INPUT if name in serializer.validated_data}
        services.webhook_endpoint_update(endpoint=serializer.instance, acting_user=self.request.user, **fields)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance, acting_user=self.request.user)

    @extend_schema(
        summary="The endpoint's deliveries, newest first",
        responses={200: WebhookDeliverySerializer(many=True), **errors(403, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        permission_classes=[ViewThenServices, can_view(WebhookDelivery)],
    )
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        page = self.paginate_queryset(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-pk"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a webhook.test event to this endpoint (whatever it subscribes to)",
        request=None,
        responses={202: WebhookDeliverySerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[ViewThenServices])
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_send_test(endpoint=self.get_object(), acting_user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint = ObjectIdFilter(field_name="endpoint_id")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "event", "status", "tenant_id"]


@extend_schema_view(
    list=extend_schema(summary="Webhook deliveries, newest first"),
    retrieve=extend_schema(
        summary="A delivery with every attempt (status code, latency, response excerpt, error)",
        responses={200: WebhookDeliveryDetailSerializer, **errors(403, 404)},
    ),
)
class WebhookDeliveryViewSet(
    TenantScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # A delivery is seen by whoever sees its endpoint.
    tenant_field = "endpoint__tenant_id"
    queryset = WebhookDelivery.objects.order_by("-pk")
    serializer_class = WebhookDeliverySerializer
    permission_classes = [ViewThenServices]
    filterset_class = WebhookDeliveryFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.prefetch_related("attempt_log") if self.action == "retrieve" else queryset

    def get_serializer_class(self):
        return WebhookDeliveryDetailSerializer if self.action == "retrieve" else WebhookDeliverySerializer

    @extend_schema(
        summary="Send this delivery now (one more attempt for a given-up one)",
        request=None,
        responses={202: WebhookDeliverySerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def retry(self, request, pk=None):
        delivery = services.webhook_delivery_retry(delivery=self.get_object(), acting_user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
