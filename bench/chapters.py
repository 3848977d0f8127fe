"""The chapter and subchapter filters at scale (issue 13): the API list, the admin changelist and the
review queue filtered by chapter or subchapter, and the taxonomy count, with the pair's own
`chapter_key`/`subchapter_key` columns and their `(chapter_key, subchapter_key)` index (now)
against the template join the filters used before (which found no imported pair).

For the measurement the fixture's pairs are spread over five chapters (one per fixture template,
each with a subchapter): generated pairs follow their template, imported ones their id, and one
imported pair in ten goes to a small chapter that only imports fill (~0.5 % of the pairs). The
alternative design, an expression index on `lineage->>'chapter'`, is built beside it and compared on
size, build time and the same queries; the index's cost on inserts is measured with it dropped.
Everything is put back afterwards.
"""

import time
from contextlib import contextmanager
from unittest import mock

from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from rest_framework.authtoken.models import Token

from qa_app.filters import QAPairFilter
from qa_app.models import QAPair
from templates_app.models import Chapter, PromptTemplate, Subchapter

from .fixture import TENANT, VERSION_COUNT, bench_user
from .results import Result

CHAPTERS = [f"bench-c{number}" for number in range(VERSION_COUNT)]
RARE = "bench-rare"
PART = "part"
REQUESTS = 15
INSERT_ROWS = 20_000
LINEAGE_INDEX = "bench_lineage_chapter"


def _sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _spread() -> dict:
    """Five chapters (with a subchapter each) and a rare one; templates, jobs and pairs moved into them."""
    chapters = {key: Chapter.objects.create(key=key, title=key) for key in [*CHAPTERS, RARE]}
    parts = {key: Subchapter.objects.create(chapter=chapter, key=PART, title=PART) for key, chapter in chapters.items()}
    for number, key in enumerate(CHAPTERS):
        PromptTemplate.objects.filter(key=f"bench-{number}").update(chapter=chapters[key], subchapter=parts[key])
    _sql(
        "UPDATE jobs_app_generationjob j SET chapter_key = c.key, subchapter_key = %s"
        " FROM templates_app_templateversion v JOIN templates_app_prompttemplate t ON t.id = v.template_id"
        " JOIN templates_app_chapter c ON c.id = t.chapter_id WHERE j.template_version_id = v.id AND j.tenant_id = %s",
        [PART, TENANT],
    )
    _sql(
        "UPDATE qa_app_qapair p SET chapter_key = j.chapter_key, subchapter_key = j.subchapter_key"
        " FROM jobs_app_generationjob j WHERE p.job_id = j.id AND p.tenant_id = %s",
        [TENANT],
    )
    _sql(
        "UPDATE qa_app_qapair SET chapter_key = CASE WHEN id %% 10 = 0 THEN %s ELSE 'bench-c' || (id %% 5) END,"
        " subchapter_key = %s WHERE source = 'imported' AND tenant_id = %s",
        [RARE, PART, TENANT],
    )
    # The lineage says the same (what an expression index on it would read).
    _sql(
        "UPDATE qa_app_qapair SET lineage = jsonb_set(lineage, '{chapter}', to_jsonb(chapter_key))"
        " WHERE chapter_key <> '' AND tenant_id = %s",
        [TENANT],
    )
    _sql("VACUUM ANALYZE qa_app_qapair")
    return {"chapters": chapters, "parts": parts}


def _put_back(world: dict) -> None:
    bench, scale = Chapter.objects.get(key="bench"), Subchapter.objects.get(chapter__key="bench", key="scale")
    PromptTemplate.objects.filter(key__startswith="bench-").update(chapter=bench, subchapter=scale)
    _sql(
        "UPDATE jobs_app_generationjob SET chapter_key = 'bench', subchapter_key = 'scale' WHERE tenant_id = %s",
        [TENANT],
    )
    _sql(
        "UPDATE qa_app_qapair SET chapter_key = 'bench', subchapter_key = 'scale',"
        " lineage = jsonb_set(lineage, '{chapter}', '\"bench\"') WHERE chapter_key <> '' AND tenant_id = %s",
        [TENANT],
    )
    Subchapter.objects.filter(pk__in=[part.pk for part in world["parts"].values()]).delete()
    Chapter.objects.filter(key__in=[*CHAPTERS, RARE]).delete()
    _sql("DROP INDEX IF EXISTS " + LINEAGE_INDEX)
    _sql("VACUUM ANALYZE qa_app_qapair")


def _old_chapter(self, queryset, name, chapter):
    return queryset.filter(template_version__template__chapter=chapter)


def _old_subchapter(self, queryset, name, subchapter):
    by_job = Q(job__chapter_key=subchapter.chapter.key, job__subchapter_key=subchapter.key)
    return queryset.filter(by_job | Q(template_version__template__subchapter=subchapter))


@contextmanager
def _before():
    """The filters as they were: the template's chapter, the job's or the template's subchapter."""
    with (
        mock.patch.object(QAPairFilter, "filter_chapter", _old_chapter),
        mock.patch.object(QAPairFilter, "filter_subchapter", _old_subchapter),
    ):
        yield


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _get(client: Client, url: str):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")

    return call


def _interleaved(calls: dict) -> dict[str, list[float]]:
    """name -> (call, before?): each timed REQUESTS times in turns, after two warm-up rounds."""
    latencies = {name: [] for name in calls}
    for round_number in range(REQUESTS + 2):
        for name, (call, before) in calls.items():
            if before:
                with _before():
                    elapsed = _timed(call)
            else:
                elapsed = _timed(call)
            if round_number >= 2:
                latencies[name].append(elapsed)
    return latencies


def _explain(label: str, queryset) -> None:
    print(f"\n-- EXPLAIN ANALYZE {label}")
    print(queryset.explain(analyze=True, buffers=True))


def _index_size_mb(name: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass)", [name])
        return cursor.fetchone()[0] / 1e6


def _insert_ms() -> float:
    """INSERT of INSERT_ROWS copies of existing pairs (another tenant), rolled back."""
    started = time.perf_counter()
    try:
        with transaction.atomic():
            _sql(
                "INSERT INTO qa_app_qapair (question, answer, context, metadata, tags, locale, tenant_id, source,"
                " content_hash, review_status, review_reason, scores, flags, lineage, chapter_key, subchapter_key,"
                " is_preview, decisions_needed, review_round, created_at, updated_at)"
                " SELECT question, answer, context, metadata, tags, locale, 'bench-insert', source, content_hash,"
                " review_status, review_reason, scores, flags, lineage, chapter_key, subchapter_key, is_preview,"
                " decisions_needed, review_round, created_at, updated_at FROM qa_app_qapair"
                " WHERE tenant_id = %s ORDER BY id LIMIT %s",
                [TENANT, INSERT_ROWS],
            )
            elapsed = (time.perf_counter() - started) * 1000
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


class _Rollback(Exception):
    pass


def chapter_filter(n: int, repeat: int) -> list[Result]:
    from qa_app.selectors import qa_pair_count

    from .scenarios import percentile

    global REQUESTS
    REQUESTS = max(REQUESTS, repeat)
    user = bench_user()
    admin = Client()
    admin.force_login(user)
    token, _ = Token.objects.get_or_create(user=user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    world = _spread()
    total = QAPair.objects.count()
    results = []
    try:
        chapter, part = world["chapters"][CHAPTERS[0]], world["parts"][CHAPTERS[0]]
        rare = world["chapters"][RARE]
        pages = {
            "api qa-pairs ?chapter": (api, f"/api/v1/qa-pairs/?chapter={chapter.pk}"),
            "api qa-pairs ?subchapter": (api, f"/api/v1/qa-pairs/?subchapter={part.pk}"),
            "admin changelist ?chapter": (admin, f"/admin/qa_app/qapair/?chapter={chapter.pk}"),
            "admin changelist ?subchapter": (admin, f"/admin/qa_app/qapair/?subchapter={part.pk}"),
            "review queue ?chapter": (admin, f"/admin/qa_app/qapair/review/?chapter={chapter.pk}"),
        }
        calls = {}
        for name, (client, url) in pages.items():
            calls[f"{name} before"] = (_get(client, url), True)
            calls[name] = (_get(client, url), False)
        calls["count by chapter before"] = (
            lambda: QAPair.objects.filter(template_version__template__chapter=chapter).count(),
            False,
        )
        calls["count by chapter"] = (lambda: qa_pair_count(chapter=chapter), False)
        calls["api qa-pairs ?chapter (rare, imports only)"] = (_get(api, f"/api/v1/qa-pairs/?chapter={rare.pk}"), False)
        calls["count by chapter (rare, imports only)"] = (lambda: qa_pair_count(chapter=rare), False)
        latencies = _interleaved(calls)
        found = {
            "now": QAPair.objects.in_chapter(chapter.key).count(),
            "before": QAPair.objects.filter(template_version__template__chapter=chapter).count(),
            "rare": QAPair.objects.in_chapter(RARE).count(),
        }
        print(f"\npairs in {chapter.key}: {found['now']:,} now, {found['before']:,} before")
        print(f"pairs in {RARE}: {found['rare']:,}")
        for name, measured in latencies.items():
            if name.endswith(" before"):
                continue
            before = latencies.get(f"{name} before")
            results.append(
                Result(
                    scenario="chapter_filter",
                    n=total,
                    metric=f"{name} p50",
                    unit="ms",
                    value=percentile(measured, 0.5),
                    reference="template join (before) ms" if before else "",
                    reference_value=percentile(before, 0.5) if before else None,
                    note=f"finds {found['now']:,} pairs, before {found['before']:,}" if before else "",
                )
            )
        _explain(f"page 1 of {chapter.key}", QAPair.objects.in_chapter(chapter.key).order_by("-id")[:51])
        _explain(f"page 1 of {RARE}", QAPair.objects.in_chapter(RARE).order_by("-id")[:51])
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM qa_app_qapair WHERE chapter_key = %s"
                " AND subchapter_key = %s",
                [chapter.key, PART],
            )
            print(f"\n-- EXPLAIN ANALYZE count of {chapter.key}/{PART}")
            print("\n".join(row[0] for row in cursor.fetchall()))
        results.extend(_alternative(total, chapter.key))
        results.extend(_insert_cost(total))
        return results
    finally:
        _put_back(world)


def _alternative(total: int, key: str) -> list[Result]:
    """The expression index on lineage->>'chapter' beside the column index: size, build, queries.
    The column index is rebuilt first, so that both are as compact as a fresh build (the spread's
    UPDATEs left it bloated)."""
    started = time.perf_counter()
    _sql("REINDEX INDEX qa_pair_by_taxonomy")
    reindex_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    _sql(f"CREATE INDEX {LINEAGE_INDEX} ON qa_app_qapair ((lineage ->> 'chapter'))")
    build_ms = (time.perf_counter() - started) * 1000
    _sql("ANALYZE qa_app_qapair")
    column_query = "SELECT count(*) FROM qa_app_qapair WHERE chapter_key = %s"
    lineage_query = "SELECT count(*) FROM qa_app_qapair WHERE lineage ->> 'chapter' = %s"
    column_page = "SELECT id FROM qa_app_qapair WHERE chapter_key = %s ORDER BY id DESC LIMIT 51"
    lineage_page = "SELECT id FROM qa_app_qapair WHERE lineage ->> 'chapter' = %s ORDER BY id DESC LIMIT 51"

    def run(query):
        return lambda: _sql(query, [key])

    times = _interleaved(
        {
            "count column": (run(column_query), False),
            "count lineage": (run(lineage_query), False),
            "page column": (run(column_page), False),
            "page lineage": (run(lineage_page), False),
        }
    )
    from .scenarios import percentile

    return [
        Result(
            scenario="chapter_filter",
            n=total,
            metric="taxonomy index size (chapter_key, subchapter_key)",
            unit="MB",
            value=_index_size_mb("qa_pair_by_taxonomy"),
            reference="expression index ((lineage->>'chapter')) MB",
            reference_value=_index_size_mb(LINEAGE_INDEX),
            note=f"built in {reindex_ms:,.0f} ms; the expression index in {build_ms:,.0f} ms",
        ),
        Result(
            scenario="chapter_filter",
            n=total,
            metric="SQL count of a chapter, column p50",
            unit="ms",
            value=percentile(times["count column"], 0.5),
            reference="lineage->>'chapter' with its expression index ms",
            reference_value=percentile(times["count lineage"], 0.5),
        ),
        Result(
            scenario="chapter_filter",
            n=total,
            metric="SQL page 1 of a chapter, column p50",
            unit="ms",
            value=percentile(times["page column"], 0.5),
            reference="lineage->>'chapter' with its expression index ms",
            reference_value=percentile(times["page lineage"], 0.5),
        ),
    ]


def _insert_cost(total: int) -> list[Result]:
    """What the taxonomy index costs an insert: the same rows inserted with it and without it."""
    from .scenarios import percentile

    _sql(f"DROP INDEX IF EXISTS {LINEAGE_INDEX}")
    with_index, without_index = [], []
    for _ in range(max(3, REQUESTS // 5)):
        with_index.append(_insert_ms())
        with transaction.atomic():
            _sql("DROP INDEX qa_pair_by_taxonomy")
            without_index.append(_insert_ms())
            transaction.set_rollback(True)  # the index comes back with the rollback
    return [
        Result(
            scenario="chapter_filter",
            n=total,
            metric=f"INSERT of {INSERT_ROWS:,} pairs with the taxonomy index p50",
            unit="ms",
            value=percentile(with_index, 0.5),
            reference="without it ms",
            reference_value=percentile(without_index, 0.5),
        )
    ]
