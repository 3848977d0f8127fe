"""A real `manage.py qcluster` process runs a job queued through the ORM broker."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django_q.conf import Conf

from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from tests.database_urls import database_url

WAIT_SECONDS = 90


@pytest.fixture
def qcluster(tmp_path):
    """Start a cluster against the test database; always stop it and its workers."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
        "DATABASE_URL": database_url(),
        "SYNTHGOV_GENERATION_BATCH_SIZE": "250",
        "Q_WORKERS": "1",
    }
    env.pop("REDIS_URL", None)
    log = open(tmp_path / "qcluster.log", "w+")  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process, log
    finally:
        # The cluster's own process stops its workers on SIGTERM; the group kill is the fallback.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def wait_until_finished(job: GenerationJob, process, log) -> GenerationJob:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        if process.poll() is not None:
            break
        time.sleep(0.5)
    log.seek(0)
    pytest.fail(f"job {job.pk} is {job.status} after waiting; qcluster output:\n{log.read()[-4000:]}")


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_runs_a_queued_job_to_success(approved_version, operator, qcluster, monkeypatch):
    # The test settings run tasks inline; this test queues them for the real cluster instead.
    monkeypatch.setattr(Conf, "SYNC", False)
    process, log = qcluster
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=1200, target_surface="training", seed=3
        ),
        acting_user=operator,
    )

    job = wait_until_finished(job, process, log)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.processed_records == 1200
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 1200
    assert QAPair.objects.filter(job=job).count() == job.accepted_records > 1100
