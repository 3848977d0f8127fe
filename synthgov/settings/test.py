"""Test settings: fast hashing, q2 tasks run inline, file-backed SQLite test database."""

from .base import *  # noqa: F403
from .base import DATABASES, Q_CLUSTER, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
MEDIA_ROOT = VAR_DIR / "test-media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a real qcluster subprocess can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-synthgov.sqlite3")}
