"""The database side of near-duplicate search for one job: stored LSH buckets and the signatures
of the pairs they point to.

A batch costs one indexed query for the pairs sharing any of its buckets and one for the text of
those not seen before; nothing grows with the tenant's size except the candidates' number.
"""

from functools import cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Q

from qa_app.models import NearDuplicateBucket, QAPair
from synthgov.bulk import insert_rows

from .validation.near_duplicates import MAX_CANDIDATES_PER_RECORD, Match, MinHasher, record_text

# Keys per bucket query: SQLite allows 32,766 parameters; on PostgreSQL a query of more keys is
# costed above jit_above_cost, and compiling it took longer than running it.
BUCKETS_PER_QUERY = 1_000
# Signatures kept in memory per job (512 bytes each at 128 permutations).
CACHED_SIGNATURES = 20_000


@cache
def _hasher(num_perm: int, threshold: float) -> MinHasher:
    return MinHasher(num_perm=num_perm, threshold=threshold)


def configured_hasher() -> MinHasher:
    """The MinHasher of the current settings (its LSH parameters are computed once per process)."""
    return _hasher(settings.SYNTHGOV_NEAR_DUPLICATE_NUM_PERM, settings.SYNTHGOV_NEAR_DUPLICATE_THRESHOLD)


def pairs_index_for_near_duplicates(pairs: list[QAPair]) -> None:
    """Store the buckets of pairs written outside a job (typed by a person, edited, promoted), so
    generated records are checked against them too. Buckets of a pair's earlier text stay: they
    can only propose it as a candidate, which its current text then confirms or not."""
    hasher = configured_hasher()
    signatures = hasher.signatures([record_text(pair.question, pair.answer, pair.context) for pair in pairs])
    buckets = hasher.buckets(signatures)
    has_content = hasher.has_content(signatures)
    rows = (
        (pair.pk, pair.tenant_id, key)
        for pair, keys, content in zip(pairs, buckets.tolist(), has_content, strict=True)
        if content
        for key in keys
    )
    insert_rows(NearDuplicateBucket, ["pair_id", "tenant_id", "bucket"], rows)


class NearDuplicateStore:
    def __init__(self, job, hasher: MinHasher):
        self.job = job
        self.hasher = hasher
        self._signatures: dict[int, np.ndarray] = {}

    def matches(self, signatures: np.ndarray, buckets: np.ndarray) -> list[Match | None]:
        """For each record, the most similar pair (the tenant's non-preview pairs and this job's own)
        or earlier record of the batch, at or above the threshold."""
        stored_by_bucket = self._pairs_by_bucket(np.unique(buckets).tolist())
        candidates = {pair_id for pair_ids in stored_by_bucket.values() for pair_id in pair_ids}
        return self.hasher.find_matches(
            signatures, buckets, stored_by_bucket=stored_by_bucket, stored_signatures=self._load(candidates)
        )

    def remember(self, pair_ids: list[int], signatures: np.ndarray, buckets: np.ndarray) -> None:
        """Store the buckets of newly inserted pairs (rows of `signatures` and `buckets`, in order)."""
        has_content = self.hasher.has_content(signatures)
        rows = [
            (pair_id, keys)
            for pair_id, keys, content in zip(pair_ids, buckets.tolist(), has_content, strict=True)
            if content
        ]
        if connection.vendor == "postgresql":
            self._copy_buckets(rows)
        else:
            tenant_id = self.job.tenant_id
            columns = ["pair_id", "tenant_id", "bucket"]
            insert_rows(
                NearDuplicateBucket, columns, ((pair_id, tenant_id, key) for pair_id, keys in rows for key in keys)
            )
        for pair_id, signature in zip(pair_ids, signatures, strict=True):
            self._cache(pair_id, signature)

    def _copy_buckets(self, rows: list[tuple[int, list[int]]]) -> None:
        """COPY in text format, written at once: a pair has `bands` rows, and building each through
        write_row cost more than computing the signature."""
        tenant = self.job.tenant_id
        for special, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            tenant = tenant.replace(special, escaped)
        data = "".join(f"{pair_id}\t{tenant}\t{key}\n" for pair_id, keys in rows for key in keys)
        if not data:
            return
        table = connection.ops.quote_name(NearDuplicateBucket._meta.db_table)
        statement = f"COPY {table} (pair_id, tenant_id, bucket) FROM STDIN"
        with connection.cursor() as cursor, cursor.connection.cursor().copy(statement) as copy:
            copy.write(data)

    def _pairs_by_bucket(self, keys: list[int]) -> dict[int, list[int]]:
        by_bucket: dict[int, list[int]] = {}
        for offset in range(0, len(keys), BUCKETS_PER_QUERY):
            for bucket, pair_id in self._bucket_rows(keys[offset : offset + BUCKETS_PER_QUERY]):
                by_bucket.setdefault(bucket, []).append(pair_id)
        return by_bucket

    def _bucket_rows(self, keys: list[int]):
        if connection.vendor != "postgresql":
            buckets = NearDuplicateBucket.objects.filter(tenant_id=self.job.tenant_id, bucket__in=keys)
            return buckets.values_list("bucket", "pair_id")
        # One index probe per key, whatever the planner's statistics say: with a plain IN list over
        # a bucket table that grew during the job (not analysed yet) PostgreSQL read it whole.
        # The LIMIT bounds what a bucket shared by boilerplate costs.
        table = connection.ops.quote_name(NearDuplicateBucket._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT k.bucket, b.pair_id FROM unnest(%s::bigint[]) AS k(bucket) CROSS JOIN LATERAL"
                f" (SELECT pair_id FROM {table} WHERE bucket = k.bucket AND tenant_id = %s LIMIT %s) AS b",
                [keys, self.job.tenant_id, MAX_CANDIDATES_PER_RECORD],
            )
            return cursor.fetchall()

    def _load(self, pair_ids: set[int]) -> dict[int, np.ndarray]:
        """Signatures of the candidates that count (non-preview, or this job's), from their current text."""
        missing = [pair_id for pair_id in pair_ids if pair_id not in self._signatures]
        if missing:
            rows = list(
                QAPair.objects.filter(pk__in=missing)
                .filter(Q(is_preview=False) | Q(job=self.job))
                .values_list("pk", "question", "answer", "context")
            )
            signatures = self.hasher.signatures([record_text(*texts) for _, *texts in rows])
            for (pair_id, *_), signature in zip(rows, signatures, strict=True):
                self._cache(pair_id, signature)
        return {pair_id: self._signatures[pair_id] for pair_id in pair_ids if pair_id in self._signatures}

    def _cache(self, pair_id: int, signature: np.ndarray) -> None:
        if len(self._signatures) >= CACHED_SIGNATURES:
            del self._signatures[next(iter(self._signatures))]
        self._signatures[pair_id] = signature
