"""The database side of near-duplicate search in one tenant: stored LSH buckets (NearDuplicateBucket,
qa_app's index) and the signatures of the pairs they point to.

A batch costs one indexed query for the pairs sharing any of its buckets and one for the text of
those not seen before; nothing grows with the tenant's size except the candidates' number.
"""

from functools import cache

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Q

from synthgov.bulk import insert_rows

from ..models import NearDuplicateBucket, QAPair
from .minhash import MAX_CANDIDATES_PER_RECORD, Match, MinHasher, record_text

# Keys per bucket query: SQLite allows 32,766 parameters; on PostgreSQL a query of more keys is
# costed above jit_above_cost, and compiling it took longer than running it.
BUCKETS_PER_QUERY = 1_000
# Signatures kept in memory per index, i.e. per job (512 bytes each at 128 permutations).
CACHED_SIGNATURES = 20_000


@cache
def _hasher(num_perm: int, threshold: float) -> MinHasher:
    return MinHasher(num_perm=num_perm, threshold=threshold)


def configured_hasher() -> MinHasher:
    """The MinHasher of the current settings (its LSH parameters are computed once per process)."""
    return _hasher(settings.SYNTHGOV_NEAR_DUPLICATE_NUM_PERM, settings.SYNTHGOV_NEAR_DUPLICATE_THRESHOLD)


class NearDuplicateIndex:
    """Near-duplicate search among a tenant's non-preview pairs (and, with `job_id`, that job's own
    preview pairs), for a batch of texts at once; one instance per job keeps the signatures it saw."""

    def __init__(self, *, tenant_id: str, job_id: int | None = None, hasher: MinHasher | None = None):
        self.tenant_id = tenant_id
        self.job_id = job_id
        self.hasher = hasher or configured_hasher()
        self._signatures: dict[int, np.ndarray] = {}

    def matches(
        self, signatures: np.ndarray, buckets: np.ndarray, *, exclude_pair_id: int | None = None
    ) -> list[Match | None]:
        """For each record, the most similar pair (the tenant's non-preview pairs and the job's own)
        or earlier record of the batch, at or above the threshold; never `exclude_pair_id` (a pair
        assessed again is no duplicate of itself)."""
        stored_by_bucket = self._pairs_by_bucket(np.unique(buckets).tolist())
        if exclude_pair_id is not None:
            stored_by_bucket = {
                key: [pair_id for pair_id in pair_ids if pair_id != exclude_pair_id]
                for key, pair_ids in stored_by_bucket.items()
            }
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
            tenant_id = self.tenant_id
            columns = ["pair_id", "tenant_id", "bucket"]
            insert_rows(
                NearDuplicateBucket, columns, ((pair_id, tenant_id, key) for pair_id, keys in rows for key in keys)
            )
        for pair_id, signature in zip(pair_ids, signatures, strict=True):
            self._cache(pair_id, signature)

    def forget(self, pair_id: int, *, question: str, answer: str, context: str) -> None:
        """Remove the buckets of a pair's earlier text (before its new text's are stored), so an edited
        pair is found by its current text only. Looked up by the old text's keys: the index leads
        with the bucket, and a delete by pair id alone would read the whole table."""
        signatures = self.hasher.signatures([record_text(question, answer, context)])
        keys = np.unique(self.hasher.buckets(signatures)).tolist()
        NearDuplicateBucket.objects.filter(bucket__in=keys, tenant_id=self.tenant_id, pair_id=pair_id).delete()
        self._signatures.pop(pair_id, None)

    def _copy_buckets(self, rows: list[tuple[int, list[int]]]) -> None:
        """COPY in text format, written at once: a pair has `bands` rows, and building each through
        write_row cost more than computing the signature."""
        tenant = self.tenant_id
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
            buckets = NearDuplicateBucket.objects.filter(tenant_id=self.tenant_id, bucket__in=keys)
            return buckets.values_list("bucket", "pair_id")
        # One index probe per key, whatever the planner's statistics say: with a plain IN list over
        # a bucket table that grew during the job (not analysed yet) PostgreSQL read it whole.
        # The LIMIT bounds what a bucket shared by boilerplate costs.
        table = connection.ops.quote_name(NearDuplicateBucket._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT k.bucket, b.pair_id FROM unnest(%s::bigint[]) AS k(bucket) CROSS JOIN LATERAL"
                f" (SELECT pair_id FROM {table} WHERE bucket = k.bucket AND tenant_id = %s LIMIT %s) AS b",
                [keys, self.tenant_id, MAX_CANDIDATES_PER_RECORD],
            )
            return cursor.fetchall()

    @property
    def _counted(self) -> Q:
        return Q(is_preview=False) | Q(job_id=self.job_id) if self.job_id is not None else Q(is_preview=False)

    def _load(self, pair_ids: set[int]) -> dict[int, np.ndarray]:
        """Signatures of the candidates that count (non-preview, or this job's), from their current text."""
        missing = [pair_id for pair_id in pair_ids if pair_id not in self._signatures]
        if missing:
            rows = list(
                QAPair.objects.filter(pk__in=missing)
                .filter(self._counted)
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
