"""One import run in a process of its own (bench/imports.py measures its peak RSS):
python -m bench.import_child RUN_ID prints {"seconds": ..., "peak_rss_mb": ...}."""

import os
import sys
import time

import django

from bench.child import report


def main(run_id: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthgov.settings.base")
    django.setup()
    from qa_app.services.imports import import_run_process

    started = time.perf_counter()
    import_run_process(run_id=run_id)
    return {"seconds": time.perf_counter() - started}


if __name__ == "__main__":
    report(main(int(sys.argv[1])))
