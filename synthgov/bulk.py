"""Inserting many rows fast: PostgreSQL COPY where available, executemany elsewhere.

The ORM's bulk_create binds every value as a parameter (on PostgreSQL as arrays that psycopg
escapes value by value); for hundreds of thousands of machine-written rows COPY is several
times faster. Callers pass plain tuples in `columns` order; no model instances are built.
"""

from collections.abc import Iterable
from itertools import islice

from django.db import connection

BATCH_ROWS = 20_000


def insert_rows(model, columns: list[str], rows: Iterable[tuple], *, skip_conflicts: bool = False) -> None:
    """Insert the rows (values ready for the database: JSON as text). With skip_conflicts, rows
    that would violate a unique constraint are left out instead of failing the insert.

    `rows` may stream from a query on the same connection: each batch is read before its COPY
    starts, as a connection in COPY can run nothing else.
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
                cursor.execute(
                    f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {target} ON CONFLICT DO NOTHING"
                )
                cursor.execute(f"TRUNCATE {target}")


def refresh_statistics(model) -> None:
    """Let the planner see rows inserted in this transaction before querying them."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
