"""Reading a row again under a lock, safely for django-fsm's protected state fields.

Not `Model.refresh_from_db`: on a model with a protected FSM field, django-fsm's FSMModelMixin
lifts the field's guard *for the whole process* while it refreshes and puts it back afterwards.
Two threads refreshing at once (two reviewers on a threaded server, each waiting for the other's
row lock) interleave: one puts the guard back while the other is still waiting for its row, and
the other then fails with "Direct review_status modification is not allowed".
"""

from django.db import models


def copy_stored_values(instance: models.Model, stored: models.Model, *, fields: tuple[str, ...] = ()) -> None:
    """Make `instance` hold what `stored` (a fresh read of the same row) holds, field by field
    (only `fields` when given), without going through the FSM guard; a cached related object
    whose key changed is dropped."""
    for field in type(instance)._meta.concrete_fields:
        if fields and field.name not in fields:
            continue
        if field.attname not in stored.__dict__:
            # A deferred field: not read, so not copied; a value
            # the instance held is dropped, so reading it loads the stored one.
            instance.__dict__.pop(field.attname, None)
            continue
        value = stored.__dict__[field.attname]
        if field.is_relation and field.is_cached(instance) and instance.__dict__.get(field.attname) != value:
            field.delete_cached_value(instance)
        # The instance __dict__ is where both Django and django-fsm keep the value of a field.
        instance.__dict__[field.attname] = value
    instance._state.adding = False
    instance._state.db = stored._state.db


def reload_locked(instance: models.Model) -> None:
    """Read the instance's row again under SELECT ... FOR UPDATE (held until the transaction ends)
    and take on its stored values: of two concurrent changes, the second waits and then sees the first."""
    stored = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    copy_stored_values(instance, stored)
