"""The one place that decides which tenants' rows a person sees.

`for_user(queryset, user, field=...)` is applied by the admin mixin, the DRF mixin and the
selectors behind custom pages; nothing filters by tenant on its own. Superusers and holders of
`tenants_app.view_all_tenants` see every tenant (and cross-tenant collections, whose tenant_id
is empty); everyone else sees the tenants they are a member of.
"""

from django.db.models import QuerySet

VIEW_ALL_PERMISSION = "tenants_app.view_all_tenants"
_CACHE_ATTRIBUTE = "_visible_tenant_keys"


def sees_all_tenants(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.has_perm(VIEW_ALL_PERMISSION)))


def tenant_keys_visible_to(user) -> frozenset[str] | None:
    """The keys of the tenants `user` sees, or None for all of them. Read once per user object (one
    request), so a page of rows costs one query for this, not one per row."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, _CACHE_ATTRIBUTE, False)
    if cached is not False:
        return cached
    from .models import TenantMembership

    if sees_all_tenants(user):
        keys = None
    else:
        keys = frozenset(TenantMembership.objects.filter(user=user).values_list("tenant__key", flat=True))
    setattr(user, _CACHE_ATTRIBUTE, keys)
    return keys


def forget_visible_tenants(user) -> None:
    """Drop the cached keys (after a membership of `user` changed in the same request)."""
    if user is not None and hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def for_user(queryset: QuerySet, user, field: str = "tenant_id") -> QuerySet:
    """`queryset` reduced to the rows of the tenants `user` sees; `field` is the lookup path to the
    row's tenant key (e.g. "pair__tenant_id", "release__collection__tenant_id")."""
    keys = tenant_keys_visible_to(user)
    if keys is None:
        return queryset
    if not keys:
        return queryset.none()
    if len(keys) == 1:
        # An equality, not IN (...): the planner's estimate and index use are those of a plain filter.
        return queryset.filter(**{field: next(iter(keys))})
    return queryset.filter(**{f"{field}__in": sorted(keys)})


def visible_to(user, tenant_key: str) -> bool:
    """Whether `user` sees the rows of tenant `tenant_key`."""
    keys = tenant_keys_visible_to(user)
    return keys is None or tenant_key in keys
