"""The review queue: its page, the review page, and "next" with claiming under 8 concurrent reviewers.

Every reviewer thread has its own connection and works as a person would: take the next pair
(timed: the claim), approve it (not timed), take the next. A pair handed out twice would show
as a repeated id; the scenario fails then. What it decided is put back afterwards.
"""

import threading
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qa_app.models import QAPair
from qa_app.services import qa_pair_approve, qa_pair_claim_next

from .fixture import bench_user
from .results import Result

PAGE_REQUESTS = 30
REVIEWERS = 8
CLAIMS_PER_REVIEWER = 40
PAGE_TARGET_MS = 150
NEXT_TARGET_MS = 100


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed_get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def _reviewers() -> list:
    users = []
    for index in range(REVIEWERS):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-reviewer-{index}", defaults={"is_staff": True, "is_superuser": True}
        )
        users.append(user)
    return users


def _pages(n: int) -> list[Result]:
    client = Client()
    user = bench_user()
    client.force_login(user)
    pending = QAPair.objects.filter(review_status=QAPair.ReviewStatus.PENDING).order_by("id")
    pair_id = pending.values_list("id", flat=True)[pending.count() // 2]
    queue = reverse("admin:qa_app_qapair_review_queue")
    pages = {
        "queue page oldest first": queue,
        "queue page lowest quality first": f"{queue}?order=quality",
        "queue page flagged first": f"{queue}?order=flagged",
        "review page": reverse("admin:qa_app_qapair_review", args=[pair_id]),
    }
    results = []
    for name, url in pages.items():
        for _ in range(2):
            _timed_get(client, url)
        latencies = [_timed_get(client, url) for _ in range(PAGE_REQUESTS)]
        for label, fraction in (("p50", 0.5), ("p95", 0.95)):
            gated = label == "p50"
            results.append(
                Result(
                    scenario="review_queue",
                    n=n,
                    metric=f"{name} {label}",
                    unit="ms",
                    value=percentile(latencies, fraction),
                    target=f"< {PAGE_TARGET_MS} ms" if gated else "",
                    target_value=PAGE_TARGET_MS if gated else None,
                    target_kind="at_most" if gated else "",
                )
            )
    QAPair.objects.filter(claimed_by=user).update(claimed_by=None, claimed_until=None)
    return results


def _concurrent_next(n: int) -> list[Result]:
    users = _reviewers()
    barrier = threading.Barrier(len(users))
    latencies: list[float] = []
    handed: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    since = timezone.now()

    def work(user):
        try:
            barrier.wait()
            for _ in range(CLAIMS_PER_REVIEWER):
                started = time.perf_counter()
                pair = qa_pair_claim_next(acting_user=user)
                elapsed = (time.perf_counter() - started) * 1000
                if pair is None:
                    break
                with lock:
                    latencies.append(elapsed)
                    handed.append(pair.pk)
                qa_pair_approve(pair=pair, acting_user=user)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _put_back(handed, since)
    if failures:
        raise RuntimeError(f"a reviewer thread failed: {failures[0]!r}")
    twice = len(handed) - len(set(handed))
    note = f"{len(handed)} pairs handed out, {twice} twice"
    return [
        Result(
            scenario="review_queue",
            n=n,
            metric=f"next with claim, {REVIEWERS} reviewers {label}",
            unit="ms",
            value=percentile(latencies, fraction),
            target=f"< {NEXT_TARGET_MS} ms" if label == "p95" else "",
            target_value=NEXT_TARGET_MS if label == "p95" else None,
            target_kind="at_most" if label == "p95" else "",
            note=note,
        )
        for label, fraction in (("p50", 0.5), ("p95", 0.95))
    ] + [
        Result(
            scenario="review_queue",
            n=len(handed),
            metric="pairs handed out twice",
            unit="pairs",
            value=twice,
            target="0",
            target_value=0,
            target_kind="at_most",
        )
    ]


def _put_back(ids: list[int], since) -> None:
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE qa_app_qapair SET review_status = 'pending', reviewed_by_id = NULL, reviewed_at = NULL,"
            " review_reason = '', claimed_by_id = NULL, claimed_until = NULL WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute("DELETE FROM qa_app_historicalqapair WHERE id = ANY(%s) AND history_date >= %s", [ids, since])
        # The approvals' decision rows too: left behind, a run on a kept database (--keep) finds its
        # reviewers "already decided" the pairs it is handed again.
        cursor.execute("DELETE FROM qa_app_reviewdecision WHERE pair_id = ANY(%s) AND decided_at >= %s", [ids, since])


def review_queue(n: int, repeat: int) -> list[Result]:
    total = QAPair.objects.count()
    return [*_pages(total), *_concurrent_next(total)]
