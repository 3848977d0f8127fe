"""Both row sources of the Parquet exporter write the same bytes."""

import pyarrow.parquet as pq
import pytest
from django.db import connection

from collections_app.exporters import parquet
from collections_app.models import Release, ReleaseItem
from tests.factories import CollectionFactory, QAPairFactory, TemplateVersionFactory

from .test_openai_chat_export import AWKWARD_TEXTS

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY row source exists on PostgreSQL only"
)


@pytest.fixture
def awkward_release(db):
    release = Release.objects.create(collection=CollectionFactory(), version=1, storage_path="unused")
    version = TemplateVersionFactory()
    variants = [
        (text, context, metadata, template)
        for text in [*AWKWARD_TEXTS, "", '""', "a,b", "\r\n", "NULL", "\\N"]
        for context in ["", text]
        for metadata, template in [({}, {}), ({"system_prompt": text}, {"template_version": version})]
    ]
    pairs = [
        QAPairFactory(
            question=f"Q {text}", answer=f"A {text}", context=context, metadata=metadata, tenant_id=f"t{n}", **template
        )
        for n, (text, context, metadata, template) in enumerate(variants)
    ]
    for pair, weight in zip(pairs, [1.0, 2.5, 1e-05, 1 / 3] * len(pairs), strict=False):
        ReleaseItem.objects.create(
            release=release, qa_pair=pair, split="train", weight=weight, content_hash=pair.content_hash
        )
    return release


@pytest.mark.parametrize("row_group_rows", [7, 50_000])
def test_copy_rows_write_the_bytes_python_rows_write(awkward_release, tmp_path, monkeypatch, row_group_rows):
    parquet.write(awkward_release, "train", tmp_path / "copy.parquet", row_group_rows=row_group_rows)
    monkeypatch.setattr(parquet, "batches", parquet.python_batches)
    parquet.write(awkward_release, "train", tmp_path / "python.parquet", row_group_rows=row_group_rows)

    from_copy = pq.read_table(tmp_path / "copy.parquet").to_pylist()
    assert from_copy == pq.read_table(tmp_path / "python.parquet").to_pylist()
    assert (tmp_path / "copy.parquet").read_bytes() == (tmp_path / "python.parquet").read_bytes()
    assert {row["context"] for row in from_copy} >= {"", '""', "\r\n", "NULL", "\\N"}
    assert {row["template"] is None for row in from_copy} == {True, False}


def test_copy_rows_come_in_batches_of_the_block_size(awkward_release, monkeypatch):
    monkeypatch.setattr(parquet, "COPY_BLOCK_BYTES", 1024)

    sizes = [batch.num_rows for batch in parquet.postgres_batches(awkward_release, "train")]

    assert len(sizes) > 1
    assert sum(sizes) == awkward_release.items.count()
