"""What a pair's text is found by: its full-text search document and its near-duplicate buckets."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from .pairs import QAPair


class QAPairSearchDocument(models.Model):
    """A pair's full-text document on PostgreSQL (qa_app/search.py): the weighted tsvector of its
    question, answer and context, GIN-indexed, written by triggers on qa_app_qapair whenever a
    text is inserted or changed (migration 0009). Kept beside the pair, not in it, so that a
    review decision (an UPDATE of the status columns) never touches the GIN index: in the pair's
    row it cost 40 % of every bulk approval. Empty on SQLite, which searches FTS5."""

    pair = models.OneToOneField(
        QAPair,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
    )
    document = SearchVectorField()

    def __str__(self) -> str:
        return f"search document of pair {self.pair_id}"


class NearDuplicateBucket(models.Model):
    """One LSH band of a pair's MinHash signature (qa_app/assessment/minhash.py).

    Written in bulk with generated pairs and looked up by (tenant, bucket) for a whole batch in
    one query, so near-duplicate search never loads a tenant's signatures. No foreign key
    constraint: a stale row (its pair edited or deleted) only proposes a candidate, which the
    check against the pair's current text then discards.
    """

    pair = models.ForeignKey(QAPair, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    tenant_id = models.CharField(max_length=100)
    bucket = models.BigIntegerField()

    class Meta:
        # Bucket first: keys are close to unique, so a batch's thousands of keys are each one
        # index probe; led by the tenant, PostgreSQL preferred reading all of the tenant's rows.
        indexes = [models.Index(fields=["bucket", "tenant_id", "pair"], name="near_duplicate_bucket_lookup")]

    def __str__(self) -> str:
        return f"pair {self.pair_id} bucket {self.bucket}"
