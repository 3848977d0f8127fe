"""The benchmark's own PostgreSQL database: created for a run, dropped after it."""

from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "synthgov_bench"


def bench_database_url(server_url: str, name: str = BENCH_DATABASE) -> str:
    return urlunparse(urlparse(server_url)._replace(path=f"/{name}"))


def _maintenance_url(server_url: str) -> str:
    return urlunparse(urlparse(server_url)._replace(path="/postgres"))


def create_database(server_url: str, name: str = BENCH_DATABASE, *, reuse: bool = False) -> bool:
    """Create the database; with reuse, keep an existing one. Returns True if it was created."""
    with psycopg.connect(_maintenance_url(server_url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def drop_database(server_url: str, name: str = BENCH_DATABASE) -> None:
    with psycopg.connect(_maintenance_url(server_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def server_version(server_url: str) -> str:
    with psycopg.connect(_maintenance_url(server_url)) as connection:
        return connection.execute("SHOW server_version").fetchone()[0]
