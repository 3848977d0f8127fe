"""synthgov.bulk: rows inserted at COPY speed, and Python work done while PostgreSQL inserts them."""

import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from synthgov.bulk import Meanwhile, insert_rows
from templates_app.models import Chapter

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the pipeline is PostgreSQL's")


def test_the_work_runs_once_however_often_it_is_offered_a_wait():
    calls = []
    meanwhile = Meanwhile(lambda: calls.append("ran") or len(calls))

    meanwhile.run()
    meanwhile.run()

    assert (meanwhile.result(), calls) == (1, ["ran"])


def test_work_never_offered_a_wait_runs_when_its_result_is_asked():
    assert Meanwhile(lambda: "checked").result() == "checked"


def test_a_failure_is_raised_by_result_not_by_run():
    def unreadable():
        raise ValueError("the file cannot be read")

    meanwhile = Meanwhile(unreadable)
    meanwhile.run()

    with pytest.raises(ValueError, match="cannot be read"):
        meanwhile.result()


def test_rows_that_conflict_are_skipped_and_the_others_inserted(db):
    Chapter.objects.create(key="geography", title="Geography")

    insert_rows(Chapter, ["key", "title"], [("geography", "Again"), ("history", "History")], skip_conflicts=True)

    assert dict(Chapter.objects.values_list("key", "title")) == {"geography": "Geography", "history": "History"}


@on_postgresql
def test_the_work_meanwhile_runs_while_the_rows_are_inserted(db):
    ran = []

    insert_rows(
        Chapter,
        ["key", "title"],
        [("history", "History")],
        skip_conflicts=True,
        meanwhile=Meanwhile(lambda: ran.append(1)),
    )

    assert ran == [1]
    assert Chapter.objects.filter(key="history").exists()


@on_postgresql
def test_an_insert_that_fails_while_work_runs_meanwhile_raises_djangos_integrity_error(db):
    meanwhile = Meanwhile(lambda: "checked")

    with pytest.raises(IntegrityError, match="title"), transaction.atomic():
        insert_rows(Chapter, ["key", "title"], [("history", None)], skip_conflicts=True, meanwhile=meanwhile)

    assert meanwhile.result() == "checked"
    assert not Chapter.objects.filter(key="history").exists()


@on_postgresql
def test_the_work_meanwhile_runs_while_the_server_is_still_inserting(db):
    # Another session holds a lock the insert needs: the insert waits on it, and only the work
    # meanwhile lets it go. Run before the insert is sent, the work sees no insert waiting; run
    # after the insert is waited for, the insert fails on its lock timeout.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (inserting_backend,) = cursor.fetchone()
        cursor.execute("SET LOCAL lock_timeout = '10s'")
    blocker = psycopg.connect(**connection.get_connection_params())
    blocker.execute(f"LOCK TABLE {Chapter._meta.db_table} IN SHARE MODE")
    seen = []

    def see_the_insert_waiting_then_release_it():
        seen.append(_waits_on_a_lock(blocker, inserting_backend))
        blocker.commit()

    try:
        meanwhile = Meanwhile(see_the_insert_waiting_then_release_it)
        insert_rows(Chapter, ["key", "title"], [("history", "History")], skip_conflicts=True, meanwhile=meanwhile)
    finally:
        blocker.close()

    assert seen == [True]
    assert Chapter.objects.filter(key="history").exists()


def _waits_on_a_lock(observer, pid: int, *, patience: float = 5.0) -> bool:
    """Whether backend `pid` is (or within `patience` seconds starts) waiting on a lock in an INSERT."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        # A transaction sees one snapshot of pg_stat_activity unless it asks for a fresh one.
        observer.execute("SELECT pg_stat_clear_snapshot()")
        row = observer.execute("SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        if row and row[0] == "Lock" and row[1].startswith("INSERT"):
            return True
        time.sleep(0.05)
    return False
