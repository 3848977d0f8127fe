"""Creating and changing a collection's settings."""

from django.db import transaction

from synthgov.errors import require_permission
from synthgov.history import clean_reason, record_change

from ..models import Collection

WALL_LIFT_NEEDS_REASON = (
    "Letting synthetic pairs into an evaluation collection needs a reason (why evaluating on synthetic "
    "data is sound here); it is kept in the collection's history."
)


def _lifts_synthetic_wall(collection: Collection) -> bool:
    """Whether this save lets synthetic pairs into an evaluation collection that did not let them in."""
    if collection.purpose != Collection.Purpose.EVALUATION or not collection.allow_synthetic_in_evaluation:
        return False
    stored = Collection.objects.filter(pk=collection.pk).values("purpose", "allow_synthetic_in_evaluation").first()
    return not (
        stored and stored["purpose"] == Collection.Purpose.EVALUATION and stored["allow_synthetic_in_evaluation"]
    )


def collection_save_reason(*, collection: Collection, reason: str) -> str:
    """The reason cleaned for saving `collection` as it is now (unsaved changes included); InvalidInput
    (field "reason") when it is too long, or missing while the save lifts the synthetic wall.
    Forms call it to show the problem on the field before saving."""
    return clean_reason(reason, required_message=WALL_LIFT_NEEDS_REASON if _lifts_synthetic_wall(collection) else "")


@transaction.atomic
def collection_save(*, collection: Collection, acting_user, reason: str = "") -> Collection:
    """Create or change a collection's settings; the creator is recorded once.

    Lifting the synthetic wall (letting synthetic pairs into an evaluation collection) needs a
    `reason`; any reason given is kept in the collection's history.
    """
    needed = "add_collection" if collection.pk is None else "change_collection"
    require_permission(acting_user, f"collections_app.{needed}", doing="Saving collections")
    lifts_wall = _lifts_synthetic_wall(collection)
    reason = collection_save_reason(collection=collection, reason=reason)
    created = collection.pk is None
    if created:
        collection.created_by = acting_user
    collection.full_clean()
    action = "created" if created else "changed"
    record_change(
        collection, user=acting_user, action=f"{action}, synthetic wall lifted" if lifts_wall else action, reason=reason
    )
    collection.save()
    return collection
