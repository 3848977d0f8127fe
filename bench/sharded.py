"""Generation scaled out: one job of two shards on a q2 cluster with one worker, then with two.

Real `manage.py qcluster` processes against the benchmark database (ORM broker), as an operator
would run them; the time is from trigger to the job's finish.
"""

import math
import os
import signal
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django_q.conf import Conf

from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_trigger

from .fixture import bench_tenant, bench_user
from .results import Result

SHARDS = 2
WAIT_SECONDS = 1800


def _start_cluster(workers: int, shard_size: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "Q_WORKERS": str(workers),
        "SYNTHGOV_GENERATION_SHARD_SIZE": str(shard_size),
        "SYNTHGOV_Q_SYNC": "0",
    }
    env.pop("REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop_cluster(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _run_on_cluster(version, user, records: int, seed: int) -> tuple[float, GenerationJob]:
    request = JobRequest(
        template_version=version,
        tenant_id=bench_tenant(f"bench-sharded-{uuid.uuid4().hex[:8]}"),
        record_count=records,
        target_surface="training",
        seed=seed,
    )
    started = time.perf_counter()
    job, _ = job_trigger(request=request, acting_user=user)
    deadline = started + WAIT_SECONDS
    while time.perf_counter() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if job.status != GenerationJob.Status.SUCCEEDED:
        raise RuntimeError(f"sharded generation job ended {job.status}: {job.error}")
    return elapsed, job


def generation_sharded(n: int, repeat: int) -> list[Result]:
    # Imported here: scenarios registers this scenario, so it imports this module first.
    from .scenarios import _delete_job, _generation_version, generation_records, median

    user = bench_user()
    version = _generation_version(user)
    records = generation_records(n)
    shard_size = math.ceil(records / SHARDS)
    settings.SYNTHGOV_GENERATION_SHARD_SIZE = shard_size
    Conf.SYNC = False  # the bench runs tasks inline elsewhere; here the clusters run them
    rates = {}
    for workers in (1, 2):
        cluster = _start_cluster(workers, shard_size)
        try:
            times = []
            for attempt in range(repeat):
                elapsed, job = _run_on_cluster(version, user, records, seed=attempt)
                times.append(elapsed)
                _delete_job(job)
        finally:
            _stop_cluster(cluster)
        rates[workers] = records / median(times)
    return [
        Result(
            scenario="generation_sharded",
            n=records,
            metric=f"{SHARDS} shards, 2 workers",
            unit="records/s",
            value=rates[2],
            reference=f"{SHARDS} shards, 1 worker",
            reference_value=rates[1],
            target="2 workers faster than 1",
            target_value=1.0,
            target_kind="ratio_at_least",
            note="real qcluster processes, ORM broker; time from trigger to finish",
        )
    ]
