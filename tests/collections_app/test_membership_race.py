"""Concurrent overlapping adds to one collection: each pair becomes a member once, and every
request answers with what it added and what was already there (never an IntegrityError)."""

import pytest

from collections_app.models import Membership
from collections_app.services import AddResult, collection_add_pairs
from qa_app.models import QAPair
from tests.concurrency import run_concurrently
from tests.factories import CollectionFactory, QAPairFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_adds_make_each_pair_a_member_once(curator):
    collection = CollectionFactory()
    pairs = QAPairFactory.create_batch(30, review_status=QAPair.ReviewStatus.APPROVED)
    overlapping = [pairs[0:20], pairs[10:30], pairs[5:25], pairs[0:30]]

    results = run_concurrently(
        *[
            lambda chosen=chosen: collection_add_pairs(collection=collection, pairs=chosen, acting_user=curator)
            for chosen in overlapping
        ]
    )

    assert all(isinstance(result, AddResult) for result in results), results
    assert sum(result.added for result in results) == 30
    assert [result.added + result.already_members for result in results] == [20, 20, 20, 30]
    assert Membership.objects.filter(collection=collection).count() == 30
    assert Membership.history.model.objects.filter(collection_id=collection.pk, history_type="+").count() == 30
