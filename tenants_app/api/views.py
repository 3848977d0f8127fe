"""`/api/v1/tenants/`: the caller's tenants; their memberships for whoever may manage them (the
same model permissions as the admin)."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from synthgov.api.serializers import errors
from synthgov.errors import InvalidInput, require_permission

from .. import services
from ..models import Tenant, TenantMembership
from ..scoping import for_user

USER_UNKNOWN = "No user {username!r}; create the user first (admin › Users)."


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["key", "name", "created_at"]
        read_only_fields = ["created_at"]


class TenantMembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = TenantMembership
        fields = ["id", "username", "created_at"]


class MembershipAddSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class TenantPermissions(IsAuthenticated):
    """Everyone signed in lists the tenants they see; creating one needs `add_tenant` (the service checks)."""


@extend_schema_view(
    list=extend_schema(summary="The caller's tenants (every tenant for superusers and view_all_tenants holders)"),
    retrieve=extend_schema(summary="One of the caller's tenants", responses={200: TenantSerializer, **errors(404)}),
    create=extend_schema(
        summary="Create a tenant (needs tenants_app.add_tenant)",
        responses={201: TenantSerializer, **errors(400, 403)},
    ),
)
class TenantViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Tenant.objects.all()
    serializer_class = TenantSerializer
    permission_classes = [TenantPermissions]
    lookup_field = "key"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filter_backends = []

    def get_queryset(self):
        return for_user(super().get_queryset(), self.request.user, "key")

    def perform_create(self, serializer):
        serializer.instance = services.tenant_create(acting_user=self.request.user, **serializer.validated_data)

    @extend_schema(
        methods=["get"],
        summary="The tenant's members (needs tenants_app.view_tenantmembership)",
        request=None,
        responses={200: TenantMembershipSerializer(many=True), **errors(403, 404)},
    )
    @extend_schema(
        methods=["post"],
        summary="Add a member (needs tenants_app.add_tenantmembership); idempotent",
        request=MembershipAddSerializer,
        responses={
            201: OpenApiResponse(TenantMembershipSerializer, description="Added."),
            200: OpenApiResponse(TenantMembershipSerializer, description="Already a member."),
            **errors(400, 403, 404),
        },
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def memberships(self, request, key=None):
        tenant = self.get_object()
        if request.method == "GET":
            require_permission(request.user, "tenants_app.view_tenantmembership", doing="Listing a tenant's members")
            rows = tenant.memberships.select_related("user")
            return Response(TenantMembershipSerializer(rows, many=True).data)
        body = MembershipAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["username"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise InvalidInput(USER_UNKNOWN.format(username=username), field="username")
        membership, created = services.tenant_membership_add(acting_user=request.user, tenant=tenant, user=user)
        return Response(
            TenantMembershipSerializer(membership).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Remove a member (needs tenants_app.delete_tenantmembership)",
        request=None,
        responses={204: None, **errors(403, 404)},
    )
    @action(detail=True, methods=["delete"], url_path=r"memberships/(?P<username>[^/]{1,150})")
    def membership_remove(self, request, key=None, username=None):
        tenant = self.get_object()
        if "\x00" in username:
            raise Http404(f"No member {username!r} of tenant {tenant.key!r}.")
        membership = get_object_or_404(TenantMembership, tenant=tenant, user__username=username)
        services.tenant_membership_remove(acting_user=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
