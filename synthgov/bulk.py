"""Inserting many rows fast: PostgreSQL COPY where available, executemany elsewhere.

The ORM's bulk_create binds every value as a parameter (on PostgreSQL as arrays that psycopg
escapes value by value); for hundreds of thousands of machine-written rows COPY is several
times faster. Callers pass plain tuples in `columns` order; no model instances are built.
"""

from collections.abc import Callable, Iterable
from itertools import islice

from django.db import connection

BATCH_ROWS = 20_000


class Meanwhile:
    """Python work to do while the database works on something else, done once: at the first
    `run()` (`insert_rows` calls it while PostgreSQL inserts), else at `result()`.

    An exception it raises is kept and raised by `result()`: work meant for after a transaction
    (an import reading its next batch) does not roll that transaction back when it fails.
    """

    def __init__(self, work: Callable[[], object]):
        self._work = work
        self._done = False
        self._value = None
        self._error: Exception | None = None

    def run(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._value = self._work()
        except Exception as error:  # raised again by result(), where it belongs
            self._error = error

    def result(self):
        self.run()
        if self._error is not None:
            raise self._error
        return self._value


def insert_rows(
    model,
    columns: list[str],
    rows: Iterable[tuple],
    *,
    skip_conflicts: bool = False,
    meanwhile: Meanwhile | None = None,
) -> None:
    """Insert the rows (values ready for the database: JSON as text). With skip_conflicts, rows
    that would violate a unique constraint are left out instead of failing the insert.

    `rows` may stream from a query on the same connection: each batch is read before its COPY
    starts, as a connection in COPY can run nothing else.

    PostgreSQL: `meanwhile` runs while the server moves the staged rows into the table (with the
    table's triggers: for QA pairs the search document, most of the insert's time); the statement
    is sent in pipeline mode, so the server works while Python does. It must not use the database.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH_ROWS)):
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                verb = "INSERT OR IGNORE" if skip_conflicts else "INSERT"
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"{verb} INTO {table} ({column_list}) VALUES ({placeholders})", batch)
                continue
            target = table
            if skip_conflicts:
                # COPY cannot skip conflicts; a staging table without constraints can take the
                # rows, and INSERT ... ON CONFLICT DO NOTHING moves the ones that fit.
                target = quote(f"staging_{model._meta.db_table}")
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {target} AS SELECT {column_list} FROM {table} WITH NO DATA"
                )
            with cursor.connection.cursor().copy(f"COPY {target} ({column_list}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            if skip_conflicts:
                insert = (
                    f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {target} ON CONFLICT DO NOTHING"
                )
                if meanwhile is None:
                    cursor.execute(insert)
                else:
                    # The server starts on the statement once it is sent; leaving the pipeline
                    # waits for it and raises its error, if any (as Django's error classes).
                    with connection.wrap_database_errors, cursor.connection.pipeline():
                        cursor.connection.cursor().execute(insert)
                        meanwhile.run()
                cursor.execute(f"TRUNCATE {target}")


def refresh_statistics(model) -> None:
    """Let the planner see rows inserted in this transaction before querying them."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
