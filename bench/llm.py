"""Generation with the `openai` backend against the local fake OpenAI-compatible server.

The fake server (tests/jobs_app/fake_openai.py) runs in its own process and answers every request
after 200 ms, so a backend that keeps `concurrency` requests in flight makes at most
concurrency / 0.2 s records per second: that is the reference. The job runs in this process
(django-q2 sync), through the whole pipeline (validation, scoring, dedup, COPY-speed inserts).

Throttled: the server takes only THROTTLED_CAPACITY requests at once and answers 429 with a
Retry-After beyond that; the profile allows THROTTLED_MAXIMUM. Reported: records/s against
capacity / 0.2 s, and the concurrency the adaptive controller settled at (time-weighted mean of
the job's manifest series).
"""

import socket
import subprocess
import sys
import time
import uuid

from django.conf import settings

from jobs_app.models import GenerationJob, GeneratorProfile
from jobs_app.services import JobRequest, job_trigger
from templates_app.models import PromptTemplate, TemplateVersion

from .fixture import bench_tenant, bench_user
from .results import Result

LATENCY_SECONDS = 0.2
CONCURRENCIES = (16, 32)
THROTTLED_MAXIMUM = 32
THROTTLED_CAPACITY = 12
THROTTLED_RETRY_AFTER = "0.2"
TARGET = 0.8
# Seconds of replies per measured job at full scale (records = concurrency / latency x this).
SECONDS_OF_WORK = 20
SMOKE_SECONDS_OF_WORK = 1.5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_fake(capacity: int | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "tests.jobs_app.fake_openai", "--port", str(port)]
    command += ["--latency", str(LATENCY_SECONDS), "--seconds", "1800"]
    if capacity is not None:
        command += ["--capacity", str(capacity), "--retry-after", THROTTLED_RETRY_AFTER]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the fake OpenAI server did not start: {line!r}")
    return process, line.removeprefix("listening on ").strip()


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _llm_version(user) -> TemplateVersion:
    template = PromptTemplate.objects.get(key="bench-0")
    version = TemplateVersion.objects.filter(template=template, version=3).first()
    if version:
        return version
    version = TemplateVersion(
        template=template,
        version=3,
        status=TemplateVersion.Status.APPROVED,
        system_prompt="Answer with the number only.",
        prompt="What is {{ a }} plus {{ b }}?",
        question_template="What is {{ a }} plus {{ b }}?",
        answer_template="{{ a + b }}",
        variables={
            "a": {"sampler": "int_range", "min": 1, "max": 1_000_000_000},
            "b": {"sampler": "int_range", "min": 1, "max": 1_000_000_000},
        },
        output_schema={
            "type": "object",
            "required": ["question", "answer"],
            "properties": {"answer": {"type": "string", "pattern": "^[0-9]+$"}},
        },
        author=user,
        published_by=user,
    )
    version.save()
    return version


def _profile(base_url: str, maximum: int) -> GeneratorProfile:
    name = f"bench-fake-{uuid.uuid4().hex[:8]}"
    return GeneratorProfile.objects.create(
        name=name,
        base_url=base_url,
        model="fake-model",
        min_concurrency=1,
        concurrency=maximum,
        timeout_seconds=30,
        max_retries=20,
        early_stop_rejection_rate=None,
        early_stop_error_rate=None,
    )


def _run(version, user, profile: GeneratorProfile, records: int, seed: int) -> tuple[float, GenerationJob]:
    request = JobRequest(
        template_version=version,
        tenant_id=bench_tenant(f"bench-llm-{uuid.uuid4().hex[:8]}"),
        record_count=records,
        target_surface="training",
        seed=seed,
        generator="openai",
        generator_config={"profile": profile.name},
    )
    started = time.perf_counter()
    job, _ = job_trigger(request=request, acting_user=user)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != GenerationJob.Status.SUCCEEDED:
        raise RuntimeError(f"LLM generation job ended {job.status}: {job.error}")
    return elapsed, job


def mean_concurrency(job: GenerationJob) -> float:
    """The time-weighted mean of the job's concurrency series, from its start to its finish."""
    series = job.output_manifest["concurrency"]["series"]
    end = (job.finished_at - job.started_at).total_seconds()
    total = weighted = 0.0
    for point, following in zip(series, [*series[1:], None], strict=True):
        until = following["t"] if following else end
        span = max(0.0, until - point["t"])
        weighted += point["concurrency"] * span
        total += span
    return weighted / total if total else float(series[-1]["concurrency"])


def llm_generation(n: int, repeat: int) -> list[Result]:
    # Imported here: scenarios registers this scenario, so it imports this module first.
    from .scenarios import _delete_job, median

    user = bench_user()
    version = _llm_version(user)
    seconds = SECONDS_OF_WORK if n >= 10_000 else SMOKE_SECONDS_OF_WORK
    results = []
    server, base_url = _start_fake()
    try:
        for concurrency in CONCURRENCIES:
            ideal = concurrency / LATENCY_SECONDS
            records = round(ideal * seconds)
            profile = _profile(base_url, concurrency)
            rates = []
            for attempt in range(repeat):
                elapsed, job = _run(version, user, profile, records, seed=attempt)
                rates.append(records / elapsed)
                _delete_job(job)
            profile.delete()
            results.append(
                Result(
                    scenario="llm_generation",
                    n=records,
                    metric=f"concurrency {concurrency}, 200 ms replies",
                    unit="records/s",
                    value=median(rates),
                    reference="concurrency / 0.2 s",
                    reference_value=ideal,
                    target=f">= {TARGET} x concurrency / 0.2 s",
                    target_value=TARGET,
                    target_kind="ratio_at_least",
                )
            )
    finally:
        _stop(server)
    server, base_url = _start_fake(capacity=THROTTLED_CAPACITY)
    try:
        capacity_rate = THROTTLED_CAPACITY / LATENCY_SECONDS
        records = round(capacity_rate * seconds)
        profile = _profile(base_url, THROTTLED_MAXIMUM)
        rates, means, throttles = [], [], []
        for attempt in range(repeat):
            elapsed, job = _run(version, user, profile, records, seed=100 + attempt)
            rates.append(records / elapsed)
            means.append(mean_concurrency(job))
            throttles.append(job.output_manifest["concurrency"]["throttled"])
            _delete_job(job)
        profile.delete()
    finally:
        _stop(server)
    setting = f"server takes {THROTTLED_CAPACITY}, profile allows {THROTTLED_MAXIMUM}"
    results += [
        Result(
            scenario="llm_generation",
            n=records,
            metric=f"throttled ({setting})",
            unit="records/s",
            value=median(rates),
            reference="capacity / 0.2 s",
            reference_value=capacity_rate,
            note=f"429s met: {median(throttles):.0f} per run",
        ),
        Result(
            scenario="llm_generation",
            n=records,
            metric="throttled: mean concurrency reached",
            unit="requests",
            value=median(means),
            reference="server capacity",
            reference_value=THROTTLED_CAPACITY,
        ),
    ]
    return results
