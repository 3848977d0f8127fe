"""`make run`'s setup part (migrate + demo data + admin account) is safe to run twice."""

import os
import re
import sqlite3
import subprocess
import sys

from django.conf import settings

COUNTED_TABLES = [
    "templates_app_chapter",
    "templates_app_prompttemplate",
    "templates_app_templateversion",
    "jobs_app_generationjob",
    "qa_app_qapair",
    "collections_app_collection",
    "auth_user",
]


def bootstrap(var_dir) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
        "SYNTHGOV_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'synthgov.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "bootstrap"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def row_counts(database) -> dict:
    with sqlite3.connect(database) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}


def test_bootstrap_twice_succeeds_without_duplicating_demo_data(tmp_path):
    first = bootstrap(tmp_path)
    counts_after_first = row_counts(tmp_path / "synthgov.sqlite3")
    second = bootstrap(tmp_path)

    assert row_counts(tmp_path / "synthgov.sqlite3") == counts_after_first
    assert counts_after_first["qa_app_qapair"] == 200
    password = re.search(r"username 'admin', password '([^']+)'", first).group(1)
    assert f"password '{password}'" in second
