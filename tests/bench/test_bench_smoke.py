"""The benchmark harness runs every scenario at a tiny scale, so it cannot rot unnoticed.

Figures at this scale mean nothing; `make bench` measures. Needs a PostgreSQL server (the
benchmark compares against COPY), so it runs in the PostgreSQL pass of the suite.
"""

import json
import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.database_urls import database_url

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark measures PostgreSQL")


def test_every_scenario_runs_and_reports_its_figures(tmp_path):
    output = tmp_path / "latest.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--n",
            "400",
            "--repeat",
            "1",
            "--server",
            database_url("postgres"),
            "--database",
            f"synthgov_bench_smoke_{uuid.uuid4().hex[:8]}",
            "--output",
            str(output),
        ],
        cwd=settings.BASE_DIR,
        env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads(output.read_text())
    measured = {row["scenario"] for row in results if row["value"] is not None}
    scenarios = {
        "generation",
        "generation_sharded",
        "llm_generation",
        "export",
        "formats",
        "fill",
        "admin",
        "api",
        "review",
        "search",
        "review_queue",
        "import_jsonl",
        "import_parquet",
        "tenant_filter",
        "chapter_filter",
        "webhooks",
        "ops",
    }
    assert measured == {"fixture", *scenarios}
    assert all({"ratio", "meets_target", "machine", "reference_value", "target"} <= row.keys() for row in results)
