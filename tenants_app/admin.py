from django.contrib import admin
from django.db.models import Count

from synthgov.admin_tools import GovernedHistoryAdmin

from .models import Tenant, TenantMembership
from .scoping import for_user


class TenantMembershipInline(admin.TabularInline):
    model = TenantMembership
    extra = 1
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Tenant)
class TenantAdmin(GovernedHistoryAdmin):
    list_display = ["key", "name", "member_count", "created_at"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at"]
    inlines = [TenantMembershipInline]

    def get_queryset(self, request):
        # A member sees (only) their own tenants here too; the key is the tenant's own tenant_id.
        tenants = super().get_queryset(request).annotate(member_count=Count("memberships"))
        return for_user(tenants, request.user, "key")

    def get_readonly_fields(self, request, obj=None):
        # The key is stored on every row the tenant owns: it is never renamed.
        return ["key", *self.readonly_fields] if obj is not None else self.readonly_fields

    @admin.display(description="members", ordering="member_count")
    def member_count(self, tenant):
        return tenant.member_count
