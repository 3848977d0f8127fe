"""The whole flow through services: template -> publish -> job -> pairs -> review -> release."""

import hashlib
import json
from pathlib import Path

from django.conf import settings

from collections_app.models import Split
from collections_app.services import collection_add_pairs, collection_release
from qa_app.models import QAPair
from qa_app.services import qa_pair_reject, qa_pairs_review
from tests.factories import CollectionFactory


def test_a_published_template_flows_through_review_into_a_checksummed_release(
    approved_version, run_job, reviewer, curator
):
    job = run_job(approved_version, record_count=30, seed=5)
    assert job.status == "succeeded"
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 30

    pairs = list(QAPair.objects.filter(job=job).order_by("record_index"))
    assert len(pairs) == job.accepted_records
    for pair in pairs:
        variables = pair.lineage["variables"]
        assert pair.answer == str(variables["a"] + variables["b"])
        assert pair.lineage["template_content_sha256"] == approved_version.content_sha256
        assert pair.source == QAPair.Source.SYNTHETIC

    rejected = pairs[0]
    qa_pair_reject(pair=rejected, acting_user=reviewer, reason="too easy")
    qa_pairs_review(pairs=QAPair.objects.filter(job=job, review_status="pending"), approve=True, acting_user=reviewer)

    pairs = list(QAPair.objects.filter(job=job, review_status="approved").order_by("record_index"))
    collection = CollectionFactory(split_ratios={"train": 0.7, "validation": 0.0, "test": 0.3})
    collection_add_pairs(collection=collection, pairs=pairs[:10], split=Split.TRAIN, weight=2.0, acting_user=curator)
    collection_add_pairs(collection=collection, pairs=pairs[10:], acting_user=curator)
    release = collection_release(collection=collection, acting_user=curator)

    directory = Path(settings.MEDIA_ROOT) / release.storage_path
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["rows"] == len(pairs) == release.items.count()
    data_files = [entry for entry in manifest["files"] if entry["split"]]
    assert data_files
    for entry in manifest["files"]:
        assert hashlib.sha256((directory / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
    for entry in data_files:
        content = (directory / entry["name"]).read_bytes()
        lines = [json.loads(line) for line in content.decode().splitlines()]
        assert len(lines) == entry["rows"]
        assert all(
            line["messages"][0] == {"role": "system", "content": "Answer with the number only."} for line in lines
        )
    released_by_split = {entry["split"]: entry["rows"] for entry in data_files}
    assert released_by_split["train"] >= 10
    assert sum(released_by_split.values()) == len(pairs)
    assert manifest["lineage"]["jobs"] == [job.pk]
