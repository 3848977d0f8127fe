"""A benchmark step in a fresh process, so that its peak memory is its own."""

import json
import subprocess
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM), in MB.

    Not `getrusage().ru_maxrss`: Linux carries the parent's high-water mark across fork and exec
    into the child's, so a child started by a bench process that once held 600 MB reports 600 MB
    whatever it used itself (seen: an import child at 620 MB that peaked at ~400 MB).
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def report(data: dict) -> None:
    """Print what a child measured, with its own peak RSS, for `run_child`."""
    print(json.dumps({**data, "peak_rss_mb": peak_rss_mb()}))


def run_child(module: str, *arguments: str) -> tuple[dict, float]:
    """Run `python -m module arguments...`; the JSON it `report`ed last, and its own peak RSS in MB."""
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments], stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent
    )
    if completed.returncode != 0:
        raise SystemExit(f"{module} {' '.join(arguments)} failed")
    output = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    return output, output.pop("peak_rss_mb")


if __name__ == "__main__":
    # `python -m bench.child`: a child that does nothing but report (tests/bench/test_child_rss.py).
    report({})
