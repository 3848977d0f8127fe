"""An import run by a real `manage.py qcluster` survives a SIGKILL mid-file: the sweep queues it
again, it resumes after its last committed batch, and every line ends with exactly one outcome."""

import json
import time

import pytest
from django.db.models import Count
from django_q.models import Schedule

from qa_app.models import ImportLineIssue, ImportRun, QAPair
from qa_app.schedules import ensure_stale_import_sweep
from qa_app.services.imports import ImportRequest, import_run_create
from tests.qcluster import Cluster

WAIT_SECONDS = 150
LINES = 6000


def wait_for(run: ImportRun, cluster: Cluster, condition, what: str) -> ImportRun:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if condition(run):
            return run
        if cluster.process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"import {run.pk} is {run.status} ({run.lines_done} lines), not {what}; qcluster:\n{cluster.output()}")


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "w") as handle:
        for number in range(LINES):
            if number % 500 == 7:
                handle.write("{not json\n")
                continue
            # Every 100th line repeats an earlier one: a duplicate naming the pair of the first.
            seed = number - 1 if number % 100 == 99 else number
            record = {"question": f"What is {seed} plus {seed}?", "answer": f"{seed} plus {seed} is {2 * seed}."}
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_an_import_survives_its_cluster_being_killed_with_one_outcome_per_line(curator, big_file, start_qcluster):
    # Rows made by migrations are gone after earlier transactional tests flushed the database.
    ensure_stale_import_sweep(Schedule)
    settings = {"SYNTHGOV_IMPORT_BATCH_SIZE": "100"}
    first = start_qcluster(**settings)
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme", locale="en"), acting_user=curator, command_line_file=big_file
    )
    wait_for(run, first, lambda run: run.lines_done >= 500, "under way")

    first.kill()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.RUNNING
    assert run.lines_done < LINES
    second = start_qcluster(**settings, SYNTHGOV_SHARD_STALE_SECONDS="2", SYNTHGOV_BATCH_MAX_SECONDS="1")
    run = wait_for(run, second, lambda run: run.finished, "finished after the restart")

    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    pair_lines = set(QAPair.objects.filter(import_run=run).values_list("record_index", flat=True))
    issue_lines = set(ImportLineIssue.objects.filter(run=run).values_list("line", flat=True))
    assert pair_lines
    assert not pair_lines & issue_lines
    assert pair_lines | issue_lines == set(range(1, LINES + 1))
    assert not QAPair.objects.filter(import_run=run).values("record_index").annotate(n=Count("id")).filter(n__gt=1)
    assert (run.imported, run.duplicates + run.errors) == (len(pair_lines), len(issue_lines))
    assert ImportLineIssue.objects.filter(run=run, kind="error").count() == LINES // 500
