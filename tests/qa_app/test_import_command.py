"""manage.py import_pairs: runs an import here with a bar, or queues it; one-line reasons on bad input."""

import json

import pytest
from django.core.management import CommandError, call_command

from qa_app.models import ImportRun, QAPair


@pytest.fixture
def pairs_file(tmp_path):
    path = tmp_path / "pairs.jsonl"
    lines = [
        {"question": "What is the boiling point of water?", "answer": "100 degrees Celsius at sea level."},
        {"question": "broken"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_the_command_imports_a_file_and_prints_the_outcome_of_its_lines(curator, pairs_file, capsys):
    call_command("import_pairs", str(pairs_file), "--user", "curator", "--tenant", "acme", "--locale", "en")

    out = capsys.readouterr().out
    assert "succeeded: 2 lines, 1 imported, 0 duplicates, 1 line errors." in out
    assert QAPair.objects.filter(source="imported", tenant_id="acme").count() == 1


def test_the_command_queues_the_run_with_queue(curator, pairs_file, capsys, settings):
    call_command("import_pairs", str(pairs_file), "--user", "curator", "--tenant", "acme", "--queue")

    assert "Queued on the q2 cluster" in capsys.readouterr().out
    # Tests run q2 tasks inline (sync), so the queued run is already done.
    assert ImportRun.objects.get().status == "succeeded"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--user", "ghost", "--tenant", "acme"], "No user named 'ghost'"),
        (["--user", "curator", "--tenant", "acme", "--mapping", "{oops"], "--mapping is not valid JSON"),
        (["--user", "curator", "--tenant", "acme", "--approve"], "qa_app.approve_on_import"),
    ],
)
def test_bad_input_stops_the_command_with_one_line_and_stores_nothing(curator, pairs_file, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_pairs", str(pairs_file), *arguments)
    assert not ImportRun.objects.exists()


def test_a_missing_file_is_named(curator, tmp_path):
    with pytest.raises(CommandError, match="No file at"):
        call_command("import_pairs", str(tmp_path / "missing.jsonl"), "--user", "curator", "--tenant", "acme")
