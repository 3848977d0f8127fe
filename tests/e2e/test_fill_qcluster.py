"""A real `manage.py qcluster` runs a queued fill to its end, committing its progress range by range."""

import time

import pytest

from collections_app.models import Membership, MembershipFill
from collections_app.services import membership_fill_request
from qa_app.models import QAPair
from tests.factories import CollectionFactory, QAPairFactory

WAIT_SECONDS = 120


@pytest.mark.qcluster
@pytest.mark.django_db(transaction=True)
def test_a_real_qcluster_runs_a_fill_range_by_range_to_success(curator, start_qcluster):
    pairs = QAPairFactory.create_batch(600, review_status=QAPair.ReviewStatus.APPROVED, source="imported")
    QAPairFactory.create_batch(50, review_status=QAPair.ReviewStatus.APPROVED, source="operator")
    collection = CollectionFactory(slug="big")
    cluster = start_qcluster(SYNTHGOV_FILL_CHUNK_IDS="100")

    fill = membership_fill_request(collection=collection, filters={"source": "imported"}, acting_user=curator)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and not fill.is_finished and cluster.process.poll() is None:
        time.sleep(0.05)
        fill.refresh_from_db()
    if not fill.is_finished:
        pytest.fail(f"fill {fill.pk} is {fill.status} ({fill.processed} done); qcluster:\n{cluster.output()}")
    assert fill.status == MembershipFill.Status.SUCCEEDED, fill.error
    assert (fill.matched, fill.processed, fill.added, fill.already_members) == (600, 600, 600, 0)
    assert set(Membership.objects.filter(collection=collection).values_list("qa_pair_id", flat=True)) == {
        pair.pk for pair in pairs
    }
    assert Membership.history.filter(collection_id=collection.pk, history_type="+").count() == 600
