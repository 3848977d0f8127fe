"""The API side of tenant scoping: every viewset of a tenant-owned model mixes this in.

Lists and details read `get_queryset`, so another tenant's object is a 404 (never a 403 that
would confirm it exists). Actions that build their own querysets start from
`self.get_queryset()` or call `scoped()`.
"""

from ..scoping import for_user


class TenantScopedViewSetMixin:
    # The lookup path from the viewset's model to the tenant key.
    tenant_field = "tenant_id"

    def get_queryset(self):
        return self.scoped(super().get_queryset())

    def scoped(self, queryset, field: str | None = None):
        return for_user(queryset, self.request.user, field or self.tenant_field)
