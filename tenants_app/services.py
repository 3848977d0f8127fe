"""Tenants and memberships: creating them, and the check every tenant-owned write makes."""

from django.db import transaction

from synthgov.errors import InvalidInput, PermissionRefused, require_permission

from .models import KEY_MAX_LENGTH, Tenant, TenantMembership
from .scoping import forget_visible_tenants, tenant_keys_visible_to, visible_to

TENANT_REQUIRED = "Give the tenant (tenant_id): the key of one of your tenants."
TENANT_KEY_INVALID = (
    "The tenant ({field}) must be at most {limit} characters without a NUL character (\\u0000); "
    "got {length} characters."
)
TENANT_UNKNOWN = "No tenant {key!r} exists; an administrator creates it first (admin › Tenants, or the API)."
NOT_A_MEMBER = (
    "You are not a member of tenant {key!r}; ask an administrator to add you "
    "(admin › Tenants › memberships, or `manage.py grant_role USERNAME ROLE --tenant {key}`)."
)
ALREADY_A_MEMBER = "{username} is already a member of tenant {key!r}."


def _checked_key(key: str, field: str) -> str:
    if not key or not key.strip():
        raise InvalidInput(TENANT_REQUIRED, field=field)
    if len(key) > KEY_MAX_LENGTH or "\x00" in key:
        raise InvalidInput(TENANT_KEY_INVALID.format(field=field, limit=KEY_MAX_LENGTH, length=len(key)), field=field)
    return key


def tenant_require(*, acting_user, key: str, field: str = "tenant_id") -> Tenant | None:
    """Refuse a write of a row owned by tenant `key` unless the tenant exists and `acting_user`
    sees it. A person who is not a member hears so (403) whether or not the tenant exists, so the
    refusal confirms nothing about other tenants; a system caller (acting_user=None: a task, an
    operator's command) and a view-all user hear that an unknown key is unknown (400)."""
    key = _checked_key(key, field)
    visible = tenant_keys_visible_to(acting_user) if acting_user is not None else None
    if visible is not None:
        if key not in visible:
            raise PermissionRefused(NOT_A_MEMBER.format(key=key), field=field)
        return None
    tenant = Tenant.objects.filter(key=key).first()
    if tenant is None:
        raise InvalidInput(TENANT_UNKNOWN.format(key=key), field=field)
    return tenant


def tenant_require_visible(*, acting_user, key: str) -> None:
    """Refuse `acting_user` an action on a stored row of tenant `key` (a pair, a job, an import)
    unless they see that tenant (403, the same words as `tenant_require`'s). Every service that
    changes such a row asks, whichever edge calls it; a system caller (acting_user=None) passes.
    Asked before the row's state is told, so a refusal says nothing about another tenant's rows."""
    if acting_user is not None and not visible_to(acting_user, key):
        raise PermissionRefused(NOT_A_MEMBER.format(key=key), field="tenant_id")


@transaction.atomic
def tenant_create(*, acting_user, key: str, name: str = "") -> Tenant:
    """A new tenant (or the existing one with that key, unchanged)."""
    if acting_user is not None:
        require_permission(acting_user, "tenants_app.add_tenant", doing="Creating a tenant")
    key = _checked_key(key, "key")
    tenant = Tenant(key=key, name=(name or key)[:200])
    tenant.full_clean(validate_unique=False)
    existing = Tenant.objects.filter(key=key).first()
    if existing is not None:
        return existing
    tenant.save()
    return tenant


@transaction.atomic
def tenant_membership_add(*, acting_user, tenant: Tenant, user) -> tuple[TenantMembership, bool]:
    """Make `user` a member of `tenant`; (membership, created). Idempotent."""
    if acting_user is not None:
        require_permission(acting_user, "tenants_app.add_tenantmembership", doing="Adding a tenant member")
    tenant_require_visible(acting_user=acting_user, key=tenant.key)
    membership, created = TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    forget_visible_tenants(user)
    return membership, created


@transaction.atomic
def tenant_membership_remove(*, acting_user, membership: TenantMembership) -> None:
    if acting_user is not None:
        require_permission(acting_user, "tenants_app.delete_tenantmembership", doing="Removing a tenant member")
    tenant_require_visible(acting_user=acting_user, key=membership.tenant.key)
    user = membership.user
    membership.delete()
    forget_visible_tenants(user)


def tenants_ensure(keys, *, tenant_model=Tenant) -> int:
    """Create a Tenant for every key not yet one (data migrations pass their historical model;
    demo data, bench fixtures); the number created. Keys are taken as they are stored."""
    keys = {key for key in keys if key}
    known = set(tenant_model.objects.filter(key__in=keys).values_list("key", flat=True))
    tenant_model.objects.bulk_create([tenant_model(key=key, name=key) for key in sorted(keys - known)])
    return len(keys - known)
