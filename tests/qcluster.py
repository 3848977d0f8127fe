"""Real `manage.py qcluster` subprocesses against the test database (the `start_qcluster` fixture)."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django_q.conf import Conf

from tests.database_urls import database_url


class Cluster:
    def __init__(self, process: subprocess.Popen, log):
        self.process = process
        self.log = log

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        # The cluster's own process stops its workers on SIGTERM; the group kill is the fallback.
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def kill(self) -> None:
        """What a crashed machine does: every process of the cluster dies at once, mid-batch."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def qcluster_starter(log_dir: Path, monkeypatch):
    """Yield a function that starts a cluster; every cluster and its workers are stopped on exit."""
    # The test settings run tasks inline; these tests queue them for real clusters instead.
    monkeypatch.setattr(Conf, "SYNC", False)
    clusters = []

    def start(**extra_env) -> Cluster:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
            "DATABASE_URL": database_url(),
            "SYNTHGOV_GENERATION_BATCH_SIZE": "250",
            "Q_WORKERS": "1",
            **extra_env,
        }
        env.pop("REDIS_URL", None)
        log = open(log_dir / f"qcluster-{len(clusters)}.log", "w+")  # noqa: SIM115 - closed by Cluster.stop
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        clusters.append(Cluster(process, log))
        return clusters[-1]

    try:
        yield start
    finally:
        for cluster in clusters:
            cluster.stop()
