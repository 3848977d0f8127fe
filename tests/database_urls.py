"""URLs of the database under test, for subprocesses (qcluster, bench) that must reach it."""

from django.db import connection


def database_url(name: str | None = None) -> str:
    """The test database's URL; `name` points at another database on the same PostgreSQL server."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{name or db['NAME']}"
