"""Every command block of README.md runs as written, so the README cannot drift from the code.

Each ```bash block either runs here, in order, in one bash session (`set -euo pipefail`) against a
live server holding the demo data, or carries a marker saying why it does not (tests/e2e/readme_blocks.py).
The session's working directory looks like a checkout after `make run`: manage.py, .venv, and a var/
with the demo password; `manage.py` commands reach the test database.
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from collections_app.models import Release
from jobs_app.models import GenerationJob
from qa_app.models import QAPair
from synthgov.demo import finish_demo_job, load_demo
from synthgov.roles import ensure_roles
from tests.database_urls import database_url
from tests.e2e.readme_blocks import MarkerError, command_blocks, script_of

README = Path(settings.BASE_DIR) / "README.md"
# The address `make run` serves; the blocks say it, the test points it at the live server.
MAKE_RUN_ADDRESSES = ["localhost:8000", "127.0.0.1:8000"]
SESSION_TIMEOUT_SECONDS = 300


def readme_blocks():
    return command_blocks(README.read_text())


def test_every_command_block_of_the_readme_is_run_or_marked_with_a_reason():
    blocks = readme_blocks()

    assert blocks, "README.md has no ```bash blocks; has the parser lost them?"
    assert any(block.runs for block in blocks)
    for block in blocks:
        assert block.runs or block.skip_reason.strip(), f"README.md line {block.line}: marker without a reason"


@pytest.fixture
def checkout(tmp_path, settings):
    """A directory that looks like the checkout after `make run`, with its own var/."""
    root = tmp_path / "checkout"
    root.mkdir()
    for entry in Path(settings.BASE_DIR).iterdir():
        if entry.name not in {"var", ".venv", ".git"}:
            (root / entry.name).symlink_to(entry)
    (root / ".venv").symlink_to(sys.prefix)
    (root / "var").mkdir()
    # The demo password is written to (and read from) this var/, never the developer's own.
    settings.VAR_DIR = root / "var"
    return root


def session_env(checkout: Path) -> dict:
    """What `manage.py` in a README block needs to work on the test database and this checkout's var/."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
        "DATABASE_URL": database_url(),
        "SYNTHGOV_VAR_DIR": str(checkout / "var"),
        "SYNTHGOV_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Jobs a command triggers run inline, as the live server's do in the test settings.
        "SYNTHGOV_Q_SYNC": "1",
        "DEBUG": "1",
    }
    env.pop("REDIS_URL", None)
    return env


@pytest.mark.django_db(transaction=True)
def test_the_readme_command_blocks_run_as_written_against_a_live_server(live_server, checkout):
    ensure_roles(Group, Permission)  # a flush by an earlier transactional test removed the groups
    finish_demo_job(load_demo().job)
    address = urlsplit(live_server.url).netloc
    script = script_of(
        [block for block in readme_blocks() if block.runs],
        replacements=dict.fromkeys(MAKE_RUN_ADDRESSES, address),
    )

    result = subprocess.run(
        ["bash", "-c", script],
        cwd=checkout,
        env=session_env(checkout),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=SESSION_TIMEOUT_SECONDS,
        check=False,
    )

    blocks_started = re.findall(r"^### README.md line (\d+)$", result.stdout, re.MULTILINE)
    where = f"README.md line {blocks_started[-1]}" if blocks_started else "the first block"
    if result.returncode != 0:
        pytest.fail(f"the block at {where} failed (exit {result.returncode}):\n{result.stdout[-4000:]}")
    # The walk-through did what it says: a job of its own, reviewed pairs, a release whose files matched.
    assert GenerationJob.objects.filter(idempotency_key="readme-addition-1", status="succeeded").exists()
    assert QAPair.objects.filter(review_status="approved", reviewed_by__username="demo-client").count() == 10
    assert Release.objects.filter(collection__slug="demo-training", status="published").exists()
    assert ": OK" in result.stdout


MARKED = """
<!-- readme-test: skip — starts a server; covered elsewhere -->
```bash
make run
```

```bash
echo hello
```

```
not a command block
```
"""


def test_a_block_marked_with_a_reason_is_not_run_and_an_unmarked_one_is():
    blocks = command_blocks(MARKED)

    assert [(block.code, block.skip_reason) for block in blocks] == [
        ("make run\n", "starts a server; covered elsewhere"),
        ("echo hello\n", None),
    ]


@pytest.mark.parametrize(
    "marker", ["<!-- readme-test: skip -->", "<!-- readme-test: skip — -->", "<!-- readme-test: skp — a typo -->"]
)
def test_a_marker_without_a_reason_is_refused(marker):
    with pytest.raises(MarkerError, match="line 2"):
        command_blocks(f"\n{marker}\n```bash\nmake run\n```\n")


def test_a_marker_separated_from_its_block_by_a_paragraph_does_not_apply():
    blocks = command_blocks("<!-- readme-test: skip — reason -->\n\nSome text.\n\n```bash\necho hi\n```\n")

    assert [block.runs for block in blocks] == [True]
