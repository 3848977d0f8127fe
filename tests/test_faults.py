"""synthgov.faults.is_transient: which errors mean "retry later" rather than "this work is wrong"."""

import sqlite3

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from synthgov.faults import is_transient


def wrapped(django_error, cause):
    """As Django raises it: its own class, with the driver's error as the cause."""
    error = django_error(str(cause))
    error.__cause__ = cause
    return error


def sqlite_error(name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(name)
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    "error",
    [
        wrapped(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly")),
        wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
        wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock detected")),
        wrapped(InterfaceError, psycopg.InterfaceError("the connection is closed")),
        psycopg.OperationalError("consuming input failed"),
        wrapped(OperationalError, sqlite_error("SQLITE_BUSY")),
        RedisConnectionError("Connection refused"),
        RedisTimeoutError("Timeout reading from socket"),
    ],
    ids=lambda error: type(error.__cause__ or error).__name__,
)
def test_lost_connections_deadlocks_busy_files_and_unreachable_brokers_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(OperationalError, psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum")),
        wrapped(OperationalError, sqlite_error("SQLITE_ERROR")),
        wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
        ValueError("bad value"),
        ConnectionError("an HTTP backend went away"),
    ],
    ids=lambda error: type(error.__cause__ or error).__name__,
)
def test_errors_a_retry_cannot_fix_are_not_transient(error):
    assert not is_transient(error)
