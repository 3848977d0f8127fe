"""Which errors are faults of the infrastructure (retry the work later) rather than of the work itself.

A database restart or failover, `pg_terminate_backend`, a deadlock or serialization failure, a
lock timeout on SQLite, or a broker that cannot be reached raise errors that say nothing about the
job: the same work succeeds once the database or broker is back. Work that hits one must be left
to be resumed, never marked failed. Errors a retry cannot fix (a value too long, a constraint, a
missing table) are not transient even when the driver files them under OperationalError.
"""

import psycopg
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

DATABASE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
BROKER_ERRORS = (RedisConnectionError, RedisTimeoutError)
# SQLSTATE classes that a retry cannot fix: data exception, integrity, syntax or undefined object,
# program limit exceeded (e.g. an index row too large).
PERMANENT_SQLSTATE_CLASSES = frozenset({"22", "23", "42", "54"})
# SQLite result codes of a busy, locked or unreachable database file (not SQLITE_ERROR: "no such table").
TRANSIENT_SQLITE_ERRORS = frozenset(
    {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_FULL"}
)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception behind Django's wrapper (Django chains it as __cause__)."""
    return exc.__cause__ if isinstance(exc, OperationalError | InterfaceError) and exc.__cause__ else exc


def is_transient(exc: BaseException) -> bool:
    """True when the error comes from a database or broker that is (for now) unreachable or busy."""
    if isinstance(exc, BROKER_ERRORS):
        return True
    if not isinstance(exc, DATABASE_ERRORS):
        return False
    cause = _driver_error(exc)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] not in PERMANENT_SQLSTATE_CLASSES
    sqlite_error = getattr(cause, "sqlite_errorname", None)
    if sqlite_error:
        # Extended codes name their primary one first: SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE.
        return "_".join(sqlite_error.split("_")[:2]) in TRANSIENT_SQLITE_ERRORS
    # A lost connection has no SQLSTATE ("server closed the connection unexpectedly").
    return True
