"""Inserting many rows fast: PostgreSQL COPY where available, executemany elsewhere.

The ORM's bulk_create binds every value as a parameter (on PostgreSQL as arrays that psycopg
escapes value by value); for hundreds of thousands of machine-written rows COPY is several
times faster. Callers pass plain tuples in `columns` order; no model instances are built.
"""

from collections.abc import Iterable
from itertools import islice

from django.db import connection

BATCH_ROWS = 20_000


def insert_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert the rows; returns how many. `rows` may stream from a query on the same connection:
    each batch is read before its COPY starts, as a connection in COPY can run nothing else."""
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    iterator, inserted = iter(rows), 0
    while batch := list(islice(iterator, BATCH_ROWS)):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.connection.cursor().copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", batch)
        inserted += len(batch)
    return inserted


def refresh_statistics(model) -> None:
    """Let the planner see rows inserted in this transaction before querying them."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
