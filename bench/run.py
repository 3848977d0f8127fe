"""make bench: measure synthgov at scale against PostgreSQL's own limits, in one run.

    python -m bench [--n 1000000] [--scenarios generation,export] [--repeat 3] [--keep]

Creates its own database on the PostgreSQL server named by DATABASE_URL (default the local
server), loads the scale fixture once, runs each scenario in a fresh process, prints one table
and writes bench/results/latest.json. The database is dropped at the end unless --keep.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.database import DEFAULT_SERVER, bench_database_url, create_database, drop_database, server_version
from bench.results import Result, machine, table, write_json

PROJECT = Path(__file__).resolve().parent.parent
ORDER = [
    "generation",
    "generation_sharded",
    "llm_generation",
    "export",
    "fill",
    "formats",
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
]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="QA pairs in the scale fixture")
    parser.add_argument("--scenarios", default=",".join(ORDER), help=f"comma-separated, from {', '.join(ORDER)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario; the median is reported")
    parser.add_argument("--server", default=os.environ.get("DATABASE_URL", DEFAULT_SERVER), help="PostgreSQL URL")
    parser.add_argument("--database", default="synthgov_bench", help="name of the database to create and drop")
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it next time)")
    parser.add_argument("--output", default=str(PROJECT / "bench" / "results" / "latest.json"))
    args = parser.parse_args(argv)
    args.scenarios = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenarios) - set(ORDER)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    if not args.server.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark needs PostgreSQL: set DATABASE_URL or --server to a postgres:// URL")
    return args


def _environment(database_url: str, media_root: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SYNTHGOV_Q_SYNC": "1",
        "SYNTHGOV_MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return env


def _run_step(env: dict, *arguments: str) -> list[Result]:
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        command = [sys.executable, "-m", "bench.worker", *arguments, "--output", output.name]
        completed = subprocess.run(command, cwd=PROJECT, env=env, check=False)
        if completed.returncode != 0:
            raise SystemExit(f"benchmark step failed ({' '.join(arguments)}); see the output above")
        return [Result(**item) for item in json.loads(Path(output.name).read_text() or "[]")]


def main(argv=None) -> int:
    args = parse_args(argv)
    database_url = bench_database_url(args.server, args.database)
    created = create_database(args.server, args.database, reuse=args.keep)
    print(f"{'created' if created else 'reusing'} database {args.database}")
    results: list[Result] = []
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="synthgov-bench-") as media_root:
            env = _environment(database_url, media_root)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=PROJECT, env=env, check=True
            )
            results += _run_step(env, "--load-fixture", "--n", str(args.n))
            for name in ORDER:
                if name in args.scenarios:
                    print(f"--- {name}", flush=True)
                    results += _run_step(env, "--scenario", name, "--n", str(args.n), "--repeat", str(args.repeat))
    finally:
        if not args.keep:
            drop_database(args.server, args.database)
    machine_info = {**machine(server_version(args.server)), "total_seconds": round(time.perf_counter() - started)}
    print()
    print(table(results))
    print(
        f"\nmachine: {machine_info['cores']} cores, {machine_info['memory_gib']} GiB, {machine_info['cpu']}; "
        f"PostgreSQL {machine_info['database']}; {machine_info['total_seconds']} s"
    )
    write_json(Path(args.output), results, machine_info)
    print(f"results written to {args.output}")
    return 0
