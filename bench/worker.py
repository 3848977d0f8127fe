"""Runs one benchmark step in a fresh process, so each scenario's peak memory is its own.

python -m bench.worker --load-fixture --n N
python -m bench.worker --scenario export --n N --repeat 3 --output results.json
"""

import argparse
import json
import os
import sys
import time
from dataclasses import asdict

import django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--scenario")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load-fixture", action="store_true")
    parser.add_argument("--output")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthgov.settings.base")
    django.setup()
    from bench import fixture
    from bench.results import Result
    from bench.scenarios import SCENARIOS

    if args.load_fixture:
        if fixture.is_loaded(args.n):
            print(f"fixture of {args.n:,} pairs already loaded")
            results = []
        else:
            started = time.perf_counter()
            fixture.load(args.n)
            elapsed = time.perf_counter() - started
            results = [Result(scenario="fixture", n=args.n, metric="COPY load", unit="pairs/s", value=args.n / elapsed)]
            print(f"loaded {args.n:,} pairs in {elapsed:.1f} s")
    else:
        results = SCENARIOS[args.scenario](args.n, args.repeat)
    if args.output:
        with open(args.output, "w") as handle:
            json.dump([asdict(result) for result in results], handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
