"""A benchmark step in a fresh process, so that its peak memory is its own."""

import json
import os
import subprocess
import sys
from pathlib import Path


def run_child(module: str, *arguments: str) -> tuple[dict, float]:
    """Run `python -m module arguments...`; the JSON it prints last, and its peak RSS in MB."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments], stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{module} {' '.join(arguments)} failed")
    return json.loads(output.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024
