"""synthgov.bulk: rows inserted at COPY speed, and Python work done while PostgreSQL inserts them."""

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
