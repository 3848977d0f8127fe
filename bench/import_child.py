"""One import run in a process of its own (bench/imports.py measures its peak RSS):
python -m bench.import_child RUN_ID prints {"seconds": ...}."""

import json
import os
import sys
import time

import django


def main(run_id: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthgov.settings.base")
    django.setup()
    from qa_app.services.imports import import_run_process

    started = time.perf_counter()
    import_run_process(run_id=run_id)
    return {"seconds": time.perf_counter() - started}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
