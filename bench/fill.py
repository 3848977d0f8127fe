"""Add-by-filter at scale: a MembershipFill of every approved pair of the fixture's tenant, against a
plain INSERT ... SELECT of the same rows into the membership table (no checks, no history, no
progress), measured in the same run."""

import time
import uuid

from django.db import connection

from collections_app.models import Collection, Membership, MembershipFill
from collections_app.services import membership_fill_request, membership_fill_run

from .fixture import TENANT, bench_user
from .results import Result

# The same rows the fill takes: approved, non-preview pairs of the tenant.
REFERENCE_INSERT = (
    "INSERT INTO collections_app_membership (collection_id, qa_pair_id, split, weight, added_by_id, added_at)"
    " SELECT %s, p.id, '', 1.0, %s, now() FROM qa_app_qapair p"
    " WHERE p.tenant_id = %s AND p.review_status = 'approved' AND NOT p.is_preview"
)


def _collection(user, label: str) -> Collection:
    return Collection.objects.create(
        slug=f"bench-{label}-{uuid.uuid4().hex[:8]}", name=label, tenant_id=TENANT, created_by=user
    )


def _drop(collection: Collection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM collections_app_historicalmembership WHERE collection_id = %s", [collection.pk])
        cursor.execute("DELETE FROM collections_app_membership WHERE collection_id = %s", [collection.pk])
        cursor.execute("DELETE FROM collections_app_historicalmembershipfill WHERE collection_id = %s", [collection.pk])
        cursor.execute("DELETE FROM collections_app_membershipfill WHERE collection_id = %s", [collection.pk])
        cursor.execute("DELETE FROM collections_app_historicalcollection WHERE id = %s", [collection.pk])
        cursor.execute("DELETE FROM collections_app_collection WHERE id = %s", [collection.pk])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE collections_app_membership")
        cursor.execute("VACUUM ANALYZE collections_app_historicalmembership")


def fill(n: int, repeat: int) -> list[Result]:
    """Fill a new collection with every approved pair of the tenant (django-q2 sync: the task runs here)."""
    user = bench_user()
    rates, references, again_seconds, added = [], [], [], 0
    for _ in range(repeat):
        collection = _collection(user, "fill")
        started = time.perf_counter()
        requested = membership_fill_request(collection=collection, filters={"tenant_id": TENANT}, acting_user=user)
        done = membership_fill_run(fill_id=requested.pk)  # a no-op when the sync task already ran it
        elapsed = time.perf_counter() - started
        if done.status != MembershipFill.Status.SUCCEEDED or done.added != done.matched:
            raise RuntimeError(f"fill ended {done.status} with {done.added} of {done.matched} added: {done.error}")
        history = Membership.history.filter(collection_id=collection.pk).count()
        if history != done.added:
            raise RuntimeError(f"{done.added} memberships added but {history} history rows written")
        added = done.added
        rates.append(added / elapsed)
        started = time.perf_counter()
        membership_fill_run(
            fill_id=membership_fill_request(collection=collection, filters={"tenant_id": TENANT}, acting_user=user).pk
        )
        again_seconds.append(time.perf_counter() - started)
        _drop(collection)

        reference = _collection(user, "insert-select")
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(REFERENCE_INSERT, [reference.pk, user.pk, TENANT])
            references.append(cursor.rowcount / (time.perf_counter() - started))
        _drop(reference)
    return [
        Result(
            scenario="fill",
            n=added,
            metric="add by filter",
            unit="pairs/s",
            value=sorted(rates)[len(rates) // 2],
            reference="INSERT ... SELECT rows/s",
            reference_value=sorted(references)[len(references) // 2],
            target=">= 0.25 x INSERT ... SELECT",
            target_value=0.25,
            target_kind="ratio_at_least",
        ),
        Result(
            scenario="fill",
            n=added,
            metric="fill again (all already members)",
            unit="s",
            value=sorted(again_seconds)[len(again_seconds) // 2],
        ),
    ]
