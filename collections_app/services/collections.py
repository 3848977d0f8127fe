"""Creating and changing a collection's settings."""

from django.db import transaction

from synthgov.errors import PermissionRefused, require_permission
from synthgov.history import clean_reason, record_change
from tenants_app.scoping import sees_all_tenants
from tenants_app.services import tenant_require

from ..models import Collection

WALL_LIFT_NEEDS_REASON = (
    "Letting synthetic pairs into an evaluation collection needs a reason (why evaluating on synthetic "
    "data is sound here); it is kept in the collection's history."
)


CROSS_TENANT_NEEDS_ALL_TENANTS = (
    "Collection '{slug}' holds several tenants' pairs (cross-tenant): only a user who sees every tenant "
    "(superuser, or the tenants_app.view_all_tenants permission) may change, fill or release it."
)


def collection_require_access(*, collection: Collection, acting_user) -> None:
    """Refuse a person who may not act on `collection`: a member of its tenant, or for a
    cross-tenant collection someone who sees every tenant. System callers (None) pass."""
    if acting_user is None:
        return
    if collection.cross_tenant or not collection.tenant_id:
        if not sees_all_tenants(acting_user):
            raise PermissionRefused(CROSS_TENANT_NEEDS_ALL_TENANTS.format(slug=collection.slug))
        return
    tenant_require(acting_user=acting_user, key=collection.tenant_id)


def _lifts_synthetic_wall(collection: Collection) -> bool:
    """Whether this save lets synthetic pairs into an evaluation collection that did not let them in."""
    if collection.purpose != Collection.Purpose.EVALUATION or not collection.allow_synthetic_in_evaluation:
        return False
    stored = Collection.objects.filter(pk=collection.pk).values("purpose", "allow_synthetic_in_evaluation").first()
    return not (
        stored and stored["purpose"] == Collection.Purpose.EVALUATION and stored["allow_synthetic_in_evaluation"]
    )


ALLOW_PII_PERMISSION = "collections_app.allow_pii_collection"
LIFT_WALL_PERMISSION = "collections_app.lift_synthetic_wall"
CROSS_TENANT_PERMISSION = "collections_app.set_cross_tenant_collection"


def _stored(collection: Collection) -> dict:
    """The guarded settings as stored (a new collection: the defaults, none of them granted)."""
    stored = Collection.objects.filter(pk=collection.pk).values("allow_pii", "cross_tenant", "tenant_id").first()
    return stored or {"allow_pii": False, "cross_tenant": False, "tenant_id": ""}


def _require_guard_permissions(collection: Collection, *, acting_user, lifts_wall: bool) -> list[str]:
    """Refuse (PermissionRefused) a change of a guarded setting by a user without its permission;
    returns what changed, for the history."""
    stored, changes = _stored(collection), []
    if collection.allow_pii != stored["allow_pii"]:
        require_permission(
            acting_user,
            ALLOW_PII_PERMISSION,
            doing="Letting PII-flagged pairs into a collection's releases (or stopping it)",
        )
        changes.append("PII allowed" if collection.allow_pii else "PII no longer allowed")
    if collection.cross_tenant != stored["cross_tenant"]:
        require_permission(
            acting_user, CROSS_TENANT_PERMISSION, doing="Making a collection cross-tenant (or single-tenant)"
        )
        changes.append("made cross-tenant" if collection.cross_tenant else "made single-tenant")
    # A collection without a tenant (older than the rule) may be given one by whoever may change it.
    if stored["tenant_id"] and collection.tenant_id != stored["tenant_id"]:
        require_permission(acting_user, CROSS_TENANT_PERMISSION, doing="Moving a collection to another tenant")
        changes.append(f"tenant {stored['tenant_id'] or '(none)'} -> {collection.tenant_id or '(none)'}")
    if lifts_wall:
        require_permission(
            acting_user, LIFT_WALL_PERMISSION, doing="Letting synthetic pairs into an evaluation collection"
        )
        changes.append("synthetic wall lifted")
    return changes


def collection_save_reason(*, collection: Collection, reason: str) -> str:
    """The reason cleaned for saving `collection` as it is now (unsaved changes included); InvalidInput
    (field "reason") when it is too long, or missing while the save lifts the synthetic wall.
    Forms call it to show the problem on the field before saving."""
    return clean_reason(reason, required_message=WALL_LIFT_NEEDS_REASON if _lifts_synthetic_wall(collection) else "")


@transaction.atomic
def collection_save(*, collection: Collection, acting_user, reason: str = "") -> Collection:
    """Create or change a collection's settings; the creator is recorded once.

    Lifting the synthetic wall (letting synthetic pairs into an evaluation collection) needs the
    lift_synthetic_wall permission and a `reason`; setting or clearing `allow_pii` needs
    allow_pii_collection; setting or clearing `cross_tenant`, or moving a collection to another
    tenant, needs set_cross_tenant_collection (approvers hold all three, curators none). Any reason
    given is kept in the collection's history.
    """
    needed = "add_collection" if collection.pk is None else "change_collection"
    require_permission(acting_user, f"collections_app.{needed}", doing="Saving collections")
    lifts_wall = _lifts_synthetic_wall(collection)
    changes = _require_guard_permissions(collection, acting_user=acting_user, lifts_wall=lifts_wall)
    reason = collection_save_reason(collection=collection, reason=reason)
    stored_tenant = _stored(collection)["tenant_id"] if collection.pk is not None else None
    if stored_tenant and stored_tenant != collection.tenant_id:
        # Moving it: the person must also belong to the tenant it leaves.
        tenant_require(acting_user=acting_user, key=stored_tenant)
    # Invalid settings first (a missing tenant is one): then whether this person may act on it.
    collection.full_clean()
    collection_require_access(collection=collection, acting_user=acting_user)
    created = collection.pk is None
    if created:
        collection.created_by = acting_user
    action = "created" if created else "changed"
    record_change(collection, user=acting_user, action=", ".join([action, *changes]), reason=reason)
    collection.save()
    return collection
