"""Who changed what, when and why: the one way services fill django-simple-history's rows.

`record_change` before a save names the acting user and the reason on the row that save writes;
`clean_reason` caps what a person types as a reason.

History rows for bulk writes are taken from the stored rows themselves: django-simple-history
records through save(); a bulk UPDATE of thousands of rows would write no history. After such an
UPDATE, the history row of each changed object is exactly its stored row plus who/when/why, so one
INSERT ... SELECT writes them all, with no Python per row. Column lists come from the history
model's own metadata (its tracked fields), not from a copy of it.
"""

from datetime import datetime

from django.db import connection

from .errors import InvalidInput

MAX_REASON_CHARS = 2000
REASON_TOO_LONG = "A reason has at most {limit:,} characters; this one has {length:,}. Say it shorter."
REASON_HAS_NUL = "A reason cannot contain NUL characters (\\u0000); remove them."


def clean_reason(reason: str | None, *, required_message: str = "") -> str:
    """A person's reason, stripped and capped; InvalidInput (field "reason") when it is too long,
    holds a NUL character (PostgreSQL text refuses it), or is missing where `required_message` says why it is needed."""
    reason = (reason or "").strip()
    if required_message and not reason:
        raise InvalidInput(required_message, field="reason")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(REASON_TOO_LONG.format(limit=MAX_REASON_CHARS, length=len(reason)), field="reason")
    if "\x00" in reason:
        raise InvalidInput(REASON_HAS_NUL, field="reason")
    return reason


def change_reason(action: str, reason: str = "") -> str:
    """The history row's change reason: what was done, and why when a person said so ("archived: superseded")."""
    return f"{action}: {reason}" if reason else action


def record_change(instance, *, user, action: str, reason: str = "") -> None:
    """Who did what and why, for the history row that the instance's next save() writes.

    Set by every service before it saves a governed object, so the row names the acting user
    whatever called the service (a request, a command, a q2 task, the demo loader), not only
    when simple-history's request middleware knows a user. `action` says what was done.
    """
    instance._history_user = user
    instance._change_reason = change_reason(action, reason)


def pk_filter(column: str, pks: list) -> tuple[str, list]:
    """`column` among `pks` as SQL and params: one array parameter on PostgreSQL (psycopg parses a
    query with thousands of placeholders for longer than the database runs it), IN (...) elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(pks)]
    return f"{column} IN ({', '.join(['%s'] * len(pks))})", list(pks)


def record_bulk_change(
    model, pks: list, *, user, reason: str, at, history_type: str = "~", changes: dict | None = None
) -> int:
    """Write one history row per pk from the current table state; returns the rows written.

    `changes` (database column -> value): the rows as they will be after an UPDATE that sets these
    columns, written *before* that UPDATE while the caller holds the rows' locks. On PostgreSQL
    that reads each row once; read after the UPDATE, the row's old version is visited too."""
    if not pks:
        return 0
    changes = changes or {}
    history_model = model.history.model
    quote = connection.ops.quote_name
    tracked = [field.attname for field in history_model.tracked_fields]
    history_columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    source_columns = ["%s" if column in changes else quote(column) for column in tracked]
    changed = [_adapted(changes[column]) for column in tracked if column in changes]
    where, pk_params = pk_filter(quote(model._meta.pk.column), pks)
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(quote(c) for c in history_columns)}) "
        f"SELECT {', '.join(source_columns)}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*changed, at, reason, history_type, user.pk if user else None, *pk_params])
        return cursor.rowcount


def _adapted(value):
    """A value as an UPDATE through the ORM stores it (SQLite keeps datetimes as naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value


def delete_with_history(model, pks: list, *, user, at, reason: str = "", chunk_size: int = 2000) -> int:
    """Delete rows in bulk, each with its "-" history row (who, when), as save()-based history would.

    A plain QuerySet.delete() would fetch every row and send post_delete per row (simple-history
    listens), one INSERT each and without the acting user. The model must have no rows referring
    to it: this DELETE does not cascade.
    """
    quote = connection.ops.quote_name
    deleted = 0
    for start in range(0, len(pks), chunk_size):
        chunk = pks[start : start + chunk_size]
        record_bulk_change(model, chunk, user=user, reason=reason, at=at, history_type="-")
        placeholders = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN ({placeholders})",
                chunk,
            )
            deleted += cursor.rowcount
    return deleted
