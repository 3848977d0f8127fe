"""The benchmark scenarios. Each runs in a fresh process (see bench.worker) and returns Results.

Every scenario cleans up what it wrote, so the fixture can be reused by the next one.
"""

import base64
import io
import random
import shutil
import statistics
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from collections_app.models import Collection, Release
from collections_app.services import collection_release
from collections_app.services import releases as release_services
from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_trigger
from qa_app.models import NearDuplicateBucket, QAPair, ReviewDecision
from qa_app.selectors import qa_pairs_matching
from qa_app.services import qa_pairs_review
from synthgov.api.pagination import IdCursorPagination
from templates_app.models import PromptTemplate, TemplateVersion

from .chapters import chapter_filter
from .child import peak_rss_mb as own_peak_rss_mb
from .fill import fill
from .fixture import EXPORT_COLLECTION, PAIR_COLUMNS, TENANT, bench_tenant, bench_user
from .formats import formats
from .imports import import_jsonl, import_parquet
from .llm import llm_generation
from .ops import ops
from .results import Result
from .review_queue import review_queue
from .sharded import generation_sharded
from .tenants import tenant_filter
from .webhooks import webhooks

GENERATION_RECORDS = 100_000
REVIEW_PAIRS = 10_000
ADMIN_REQUESTS = 20


def generation_records(n: int) -> int:
    return GENERATION_RECORDS if n >= 1_000_000 else max(100, n // 10)


def median(values) -> float:
    return statistics.median(values)


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _generation_version(user) -> TemplateVersion:
    template = PromptTemplate.objects.get(key="bench-0")
    version = TemplateVersion.objects.filter(template=template, version=2).first()
    if version:
        return version
    version = TemplateVersion(
        template=template,
        version=2,
        status=TemplateVersion.Status.APPROVED,
        system_prompt="You are a careful maths tutor. Answer with the number only.",
        question_template="{{ name }} has {{ a }} {{ fruit }} and buys {{ b }} more. How many {{ fruit }} now?",
        answer_template="{{ a + b }}",
        context_template="{{ name }} keeps the {{ fruit }} in a basket.",
        variables={
            "a": {"sampler": "int_range", "min": 1, "max": 1_000_000},
            "b": {"sampler": "int_range", "min": 1, "max": 1_000_000},
            "name": {"sampler": "choice", "values": ["Ada", "Grace", "Alan", "Edsger", "Barbara"]},
            "fruit": {"sampler": "choice", "values": ["apples", "pears", "plums"], "weights": [2, 1, 1]},
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


def _copy_from_rate(job: GenerationJob) -> float:
    """PostgreSQL's own ingest rate: COPY the job's rows into a table with the same indexes."""
    columns = ", ".join(PAIR_COLUMNS)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(f"COPY (SELECT {columns} FROM qa_app_qapair WHERE job_id = %s) TO STDOUT", [job.pk]) as copy:
            for chunk in copy:
                buffer.write(chunk)
        raw.execute(
            "CREATE TEMP TABLE copy_reference"
            " (LIKE qa_app_qapair INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
        )
        data = buffer.getvalue()
        started = time.perf_counter()
        with raw.copy(f"COPY copy_reference ({columns}) FROM STDIN") as copy:
            for offset in range(0, len(data), 1 << 20):
                copy.write(data[offset : offset + (1 << 20)])
        elapsed = time.perf_counter() - started
        rows = raw.execute("SELECT count(*) FROM copy_reference").fetchone()[0]
        raw.execute("DROP TABLE copy_reference")
    return rows / elapsed


def _vacuum(*tables: str) -> None:
    """What autovacuum would do after a scenario's cleanup, so the next one finds the fixture as
    it was loaded (dead rows left behind turn index-only scans into heap reads)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _delete_job(job: GenerationJob) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM qa_app_nearduplicatebucket WHERE tenant_id = %s", [job.tenant_id])
        cursor.execute("DELETE FROM qa_app_qapair WHERE job_id = %s", [job.pk])
        cursor.execute("DELETE FROM jobs_app_rejectedartifact WHERE job_id = %s", [job.pk])
        cursor.execute("DELETE FROM jobs_app_duplicaterecord WHERE job_id = %s", [job.pk])
        cursor.execute("DELETE FROM jobs_app_jobshard WHERE job_id = %s", [job.pk])
        cursor.execute("DELETE FROM jobs_app_historicalgenerationjob WHERE id = %s", [job.pk])
        cursor.execute("DELETE FROM jobs_app_generationjob WHERE id = %s", [job.pk])
        cursor.execute("DELETE FROM django_q_task")
    _vacuum("qa_app_qapair", "qa_app_nearduplicatebucket")


def generation(n: int, repeat: int) -> list[Result]:
    """A job through django-q2 (sync: the task runs in this process) with the template backend."""
    user = bench_user()
    version = _generation_version(user)
    records = generation_records(n)
    rates, references = [], []
    for attempt in range(repeat):
        request = JobRequest(
            template_version=version,
            tenant_id=bench_tenant(f"bench-generation-{uuid.uuid4().hex[:8]}"),
            record_count=records,
            target_surface="training",
            seed=attempt,
        )
        started = time.perf_counter()
        job, _ = job_trigger(request=request, acting_user=user)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        if job.status != GenerationJob.Status.SUCCEEDED:
            raise RuntimeError(f"generation job ended {job.status}: {job.error}")
        rates.append(records / elapsed)
        references.append(_copy_from_rate(job))
        _delete_job(job)
    return [
        Result(
            scenario="generation",
            n=records,
            metric="throughput",
            unit="records/s",
            value=median(rates),
            reference="COPY FROM rows/s",
            reference_value=median(references),
            target=">= 0.10 x COPY FROM",
            target_value=0.10,
            target_kind="ratio_at_least",
        )
    ]


def _copy_to_rate(collection: Collection) -> float:
    """PostgreSQL's own export rate for the same rows, streamed to this process."""
    query = (
        "COPY (SELECT p.question, p.answer, p.context, p.metadata FROM qa_app_qapair p"
        " JOIN collections_app_membership m ON m.qa_pair_id = p.id"
        " WHERE m.collection_id = %s AND p.review_status = 'approved' ORDER BY p.id) TO STDOUT"
    )
    rows = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        started = time.perf_counter()
        with raw.copy(query, [collection.pk]) as copy:
            for chunk in copy:
                rows += bytes(chunk).count(b"\n")
        elapsed = time.perf_counter() - started
    return rows / elapsed


def _delete_release(release: Release) -> None:
    shutil.rmtree(Path(settings.MEDIA_ROOT) / release.storage_path, ignore_errors=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM collections_app_releaseitem WHERE release_id = %s", [release.pk])
        cursor.execute("DELETE FROM collections_app_historicalrelease WHERE id = %s", [release.pk])
        cursor.execute("DELETE FROM collections_app_release WHERE id = %s", [release.pk])
    _vacuum("collections_app_releaseitem")


def _timing_guards(times: list[float]):
    """Time collections_app.guards.check_release as the release calls it (the leak guard's cost)."""
    original = release_services.check_release

    def timed(release):
        started = time.perf_counter()
        try:
            return original(release)
        finally:
            times.append(time.perf_counter() - started)

    release_services.check_release = timed
    return original


def export(n: int, repeat: int) -> list[Result]:
    """Release the collection of every approved pair to OpenAI-chat JSONL."""
    user = bench_user()
    collection = Collection.objects.get(slug=EXPORT_COLLECTION)
    rates, references, rows, guard_times = [], [], 0, []
    original_check = _timing_guards(guard_times)
    for _ in range(repeat):
        started = time.perf_counter()
        release = collection_release(collection=collection, acting_user=user)
        elapsed = time.perf_counter() - started
        rows = release.manifest["rows"]
        rates.append(rows / elapsed)
        _delete_release(release)
        references.append(_copy_to_rate(collection))
    release_services.check_release = original_check
    peak_rss_mb = own_peak_rss_mb()
    buckets = NearDuplicateBucket.objects.filter(tenant_id=TENANT).count()
    return [
        Result(
            scenario="export",
            n=rows,
            metric="guards (leak: exact + MinHash buckets; cross-collection)",
            unit="s",
            value=median(guard_times),
            note=f"{buckets:,} bucket rows of the tenant",
        ),
        Result(
            scenario="export",
            n=rows,
            metric="throughput",
            unit="rows/s",
            value=median(rates),
            reference="COPY TO rows/s",
            reference_value=median(references),
            target=">= 0.5 x COPY TO",
            target_value=0.5,
            target_kind="ratio_at_least",
        ),
        Result(
            scenario="export",
            n=rows,
            metric="peak RSS",
            unit="MB",
            value=peak_rss_mb,
            target="< 300 MB",
            target_value=300,
            target_kind="at_most",
        ),
    ]


def _timed_get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def _timed_sql(sql: str, params: list) -> float:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000


def admin(n: int, repeat: int) -> list[Result]:
    """The QA pair changelist (page 1 and a deep page) and one change page, logged in."""
    client = Client()
    client.force_login(bench_user())
    total = QAPair.objects.count()
    per_page = 50
    deep_page = max(1, total // per_page // 2)
    newest = QAPair.objects.order_by("-id").values_list("id", flat=True).first()
    pair_id = QAPair.objects.filter(tenant_id=TENANT).order_by("id").values_list("id", flat=True)[total // 2]
    list_columns = "id, question, review_status, source, tenant_id, locale, job_id, created_at"
    pages = {
        "changelist page 1": (
            "/admin/qa_app/qapair/",
            f"SELECT {list_columns} FROM qa_app_qapair ORDER BY id DESC LIMIT %s",
            [per_page],
            True,
        ),
        f"changelist page {deep_page + 1:,}": (
            f"/admin/qa_app/qapair/?p={deep_page}",
            f"SELECT {list_columns} FROM qa_app_qapair WHERE id <= %s ORDER BY id DESC LIMIT %s",
            [newest - deep_page * per_page, per_page],
            True,
        ),
        "change page": (
            f"/admin/qa_app/qapair/{pair_id}/change/",
            "SELECT * FROM qa_app_qapair WHERE id = %s",
            [pair_id],
            False,
        ),
    }
    results = []
    requests = max(ADMIN_REQUESTS, repeat)
    for name, (url, reference_sql, params, has_target) in pages.items():
        for _ in range(2):
            _timed_get(client, url)
        latencies = [_timed_get(client, url) for _ in range(requests)]
        references = [_timed_sql(reference_sql, params) for _ in range(requests)]
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            gated = has_target and label == "p50"
            results.append(
                Result(
                    scenario="admin",
                    n=total,
                    metric=f"{name} {label}",
                    unit="ms",
                    value=percentile(latencies, fraction),
                    reference="raw SQL keyset page ms" if has_target else "raw SQL by pk ms",
                    reference_value=percentile(references, fraction),
                    target="< 300 ms" if gated else "",
                    target_value=300 if gated else None,
                    target_kind="at_most" if gated else "",
                )
            )
    return results


def api(n: int, repeat: int) -> list[Result]:
    """The qa-pairs list over the REST API with a token: the first page, and a page half-way through by cursor."""
    user = bench_user()
    token, _ = Token.objects.get_or_create(user=user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    page_size = IdCursorPagination.page_size
    ids = QAPair.objects.order_by("id").values_list("id", flat=True)
    total = ids.count()
    middle = ids[total // 2]
    # DRF's cursor is the base64 of "p=<last id seen>", so a page half-way through costs what page 1 costs.
    cursor = base64.b64encode(urlencode({"p": middle}).encode()).decode()
    list_columns = ", ".join(f.column for f in QAPair._meta.concrete_fields if not f.generated)
    pages = {
        "qa-pairs list page 1": (
            "/api/v1/qa-pairs/",
            f"SELECT {list_columns} FROM qa_app_qapair ORDER BY id LIMIT %s",
            [page_size + 1],
        ),
        "qa-pairs list half-way": (
            f"/api/v1/qa-pairs/?{urlencode({'cursor': cursor})}",
            f"SELECT {list_columns} FROM qa_app_qapair WHERE id > %s ORDER BY id LIMIT %s",
            [middle, page_size + 1],
        ),
        "qa-pairs pending page 1": (
            "/api/v1/qa-pairs/?review_status=pending",
            f"SELECT {list_columns} FROM qa_app_qapair WHERE review_status = 'pending' ORDER BY id LIMIT %s",
            [page_size + 1],
        ),
    }
    results = []
    requests = max(ADMIN_REQUESTS, repeat)
    for name, (url, reference_sql, params) in pages.items():
        for _ in range(2):
            _timed_get(client, url)
        latencies = [_timed_get(client, url) for _ in range(requests)]
        references = [_timed_sql(reference_sql, params) for _ in range(requests)]
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            gated = label == "p50"
            results.append(
                Result(
                    scenario="api",
                    n=total,
                    metric=f"{name} {label}",
                    unit="ms",
                    value=percentile(latencies, fraction),
                    reference="raw SQL keyset page ms",
                    reference_value=percentile(references, fraction),
                    target="< 300 ms" if gated else "",
                    target_value=300 if gated else None,
                    target_kind="at_most" if gated else "",
                )
            )
    return results


def _reset_review(ids: list[int], since) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE qa_app_qapair SET review_status = 'pending', reviewed_by_id = NULL, reviewed_at = NULL,"
            " review_reason = '' WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM qa_app_historicalqapair WHERE id = ANY(%s) AND history_date >= %s", [ids, since])
        cursor.execute("DELETE FROM qa_app_reviewdecision WHERE pair_id = ANY(%s) AND decided_at >= %s", [ids, since])
    _vacuum("qa_app_qapair", "qa_app_historicalqapair", "qa_app_reviewdecision")


def review(n: int, repeat: int) -> list[Result]:
    """Bulk-approve pending pairs through the service, with a history row and a decision row for each."""
    user = bench_user()
    ids = list(
        QAPair.objects.filter(tenant_id=TENANT, review_status=QAPair.ReviewStatus.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:REVIEW_PAIRS]
    )
    rates, references = [], []
    for _ in range(repeat):
        since = timezone.now()
        started = time.perf_counter()
        result = qa_pairs_review(pairs=QAPair.objects.filter(pk__in=ids), approve=True, acting_user=user)
        elapsed = time.perf_counter() - started
        written = QAPair.history.filter(id__in=ids, history_date__gte=since).count()
        decisions = ReviewDecision.objects.filter(pair_id__in=ids, decided_at__gte=since).count()
        if result.decided != len(ids) or written != len(ids) or decisions != len(ids):
            raise RuntimeError(
                f"approved {result.decided}, wrote {written} history and {decisions} decision rows for {len(ids)} pairs"
            )
        rates.append(len(ids) / elapsed)
        _reset_review(ids, since)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "UPDATE qa_app_qapair SET review_status = 'approved', reviewed_by_id = %s, reviewed_at = now()"
                " WHERE id = ANY(%s)",
                [user.pk, ids],
            )
            references.append(len(ids) / (time.perf_counter() - started))
        _reset_review(ids, since)
    return [
        Result(
            scenario="review",
            n=len(ids),
            metric="bulk approve",
            unit="pairs/s",
            value=median(rates),
            reference="raw SQL UPDATE rows/s (no history)",
            reference_value=median(references),
            target=">= 10,000 pairs/s",
            target_value=10_000,
            target_kind="at_least",
        )
    ]


SEARCH_REQUESTS = 40


def _rare_words(total: int, count: int, seed: int) -> list[str]:
    """Words that occur in one pair each: the fixture's questions start with "Q<number>:"."""
    rng = random.Random(seed)
    return [f"Q{rng.randrange(total)}" for _ in range(count)]


def search(n: int, repeat: int) -> list[Result]:
    """Full-text search for a rare word (one pair holds it): through the selector (ranked, first 50
    rows loaded), the admin changelist's search box, and the API's `search` parameter; beside
    PostgreSQL's own time for the same GIN-indexed query."""
    client = Client()
    client.force_login(bench_user())
    token, _ = Token.objects.get_or_create(user=bench_user())
    api_client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    total = QAPair.objects.count()
    requests = max(SEARCH_REQUESTS, repeat)

    def selector(word):
        started = time.perf_counter()
        found = list(qa_pairs_matching(QAPair.objects.all(), word)[:50])
        elapsed = (time.perf_counter() - started) * 1000
        if len(found) != 1:
            raise RuntimeError(f"search for {word!r} found {len(found)} pairs, expected 1")
        return elapsed

    reference_sql = (
        "SELECT p.id, p.question, ts_rank(d.document, q) AS rank FROM qa_app_qapair p"
        " JOIN qa_app_qapairsearchdocument d ON d.pair_id = p.id, websearch_to_tsquery('english', %s) AS q"
        " WHERE d.document @@ q ORDER BY rank DESC, p.id DESC LIMIT 50"
    )
    measures = {
        "selector": lambda word: selector(word),
        "admin changelist": lambda word: _timed_get(client, f"/admin/qa_app/qapair/?{urlencode({'q': word})}"),
        "API qa-pairs": lambda word: _timed_get(api_client, f"/api/v1/qa-pairs/?{urlencode({'search': word})}"),
    }
    results = []
    for seed, (name, measure) in enumerate(measures.items()):
        for word in _rare_words(total, 3, seed=1000 + seed):
            measure(word)  # warm-up
        latencies = [measure(word) for word in _rare_words(total, requests, seed=seed)]
        references = [_timed_sql(reference_sql, [word]) for word in _rare_words(total, requests, seed=seed)]
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            gated = label == "p50"
            results.append(
                Result(
                    scenario="search",
                    n=total,
                    metric=f"rare word, {name} {label}",
                    unit="ms",
                    value=percentile(latencies, fraction),
                    reference="raw SQL GIN query ms",
                    reference_value=percentile(references, fraction),
                    target="< 200 ms" if gated else "",
                    target_value=200 if gated else None,
                    target_kind="at_most" if gated else "",
                )
            )
    return results


SCENARIOS = {
    "generation": generation,
    "generation_sharded": generation_sharded,
    "llm_generation": llm_generation,
    "export": export,
    "fill": fill,
    "formats": formats,
    "admin": admin,
    "api": api,
    "review": review,
    "search": search,
    "review_queue": review_queue,
    "import_jsonl": import_jsonl,
    "import_parquet": import_parquet,
    "tenant_filter": tenant_filter,
    "chapter_filter": chapter_filter,
    "webhooks": webhooks,
    "ops": ops,
}
