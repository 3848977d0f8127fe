"""manage.py export_release RELEASE --format F --to DIR."""

import hashlib
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from collections_app.exporters import EXPORTERS
from collections_app.services import EXPORT_DIRECTORY_NOT_EMPTY, RELEASE_UNKNOWN


def export(*arguments: str) -> str:
    out = StringIO()
    call_command("export_release", *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_writes_the_release_in_a_format_it_was_not_released_in(varied_release, tmp_path):
    output = export("varied:v1", "--format", "csv", "--to", str(tmp_path / "out"))

    written = sorted(str(path.relative_to(tmp_path / "out")) for path in (tmp_path / "out").rglob("*.*"))
    assert written == ["README.md", "csv/test.csv", "csv/train.csv", "csv/validation.csv"]
    digest = hashlib.sha256((tmp_path / "out" / "csv" / "train.csv").read_bytes()).hexdigest()
    assert "csv/train.csv  3 rows" in output
    assert digest in output


def test_names_the_release_by_id_too_and_writes_what_the_release_wrote(varied_release, tmp_path):
    export(str(varied_release.pk), "--format", "parquet", "--to", str(tmp_path / "out"))

    released = Path(settings.MEDIA_ROOT) / varied_release.storage_path / "parquet" / "train.parquet"
    assert (tmp_path / "out" / "parquet" / "train.parquet").read_bytes() == released.read_bytes()


def test_refuses_a_directory_that_holds_files(varied_release, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")

    with pytest.raises(CommandError) as refused:
        export("varied:v1", "--format", "alpaca", "--to", str(tmp_path / "out"))

    assert str(refused.value) == EXPORT_DIRECTORY_NOT_EMPTY.format(directory=tmp_path / "out")
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_force_writes_into_a_directory_that_holds_files(varied_release, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")

    export("varied:v1", "--format", "alpaca", "--to", str(tmp_path / "out"), "--force")

    assert (tmp_path / "out" / "alpaca" / "train.jsonl").is_file()


@pytest.mark.parametrize("label", ["varied:v9", "nope:v1", "varied:vx", "999999", "varied"])
def test_refuses_a_release_that_does_not_exist(varied_release, tmp_path, label):
    with pytest.raises(CommandError) as refused:
        export(label, "--format", "alpaca", "--to", str(tmp_path / "out"))

    assert str(refused.value) == RELEASE_UNKNOWN.format(label=label)
    assert not (tmp_path / "out").exists()


def test_refuses_an_unknown_format_naming_the_valid_ones(varied_release, tmp_path):
    with pytest.raises(CommandError) as refused:
        export("varied:v1", "--format", "xml", "--to", str(tmp_path / "out"))

    assert "Unknown format(s): 'xml'; choose from openai_chat" in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_a_refusal_exits_non_zero_with_one_line(tmp_path):
    completed = subprocess.run(
        [sys.executable, "manage.py", "export_release", "maths:v1", "--format", "xml", "--to", str(tmp_path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "synthgov.settings.test", "PATH": "/usr/bin:/bin", **_database_env()},
    )

    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "CommandError: Unknown format(s): 'xml'; choose from " + ", ".join(EXPORTERS) + "."
    ]


def _database_env() -> dict:
    import os

    return {key: value for key, value in os.environ.items() if key in {"DATABASE_URL", "HOME", "SYNTHGOV_VAR_DIR"}}
