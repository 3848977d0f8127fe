"""The admin's release flow asks which formats to write; collections keep default formats."""

import pytest
from django.urls import reverse

from collections_app.models import Collection, Membership, Release
from qa_app.services import qa_pairs_review
from tests.factories import CollectionFactory, QAPairFactory

from .test_admin_flows import action_url


@pytest.fixture
def collection(reviewer):
    pairs = QAPairFactory.create_batch(2)
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    collection = CollectionFactory(default_formats=["sharegpt", "parquet"])
    Membership.objects.bulk_create(Membership(collection=collection, qa_pair=pair, split="train") for pair in pairs)
    return collection


def test_release_button_shows_the_formats_with_the_collections_defaults_ticked(client, curator, collection):
    client.force_login(curator)

    page = client.post(action_url(collection, "release"))

    assert page.status_code == 200
    assert not Release.objects.exists()
    form = page.context["form"]
    assert form["formats"].value() == ["sharegpt", "parquet"]
    assert b'value="csv"' in page.content


def test_release_writes_the_formats_chosen(client, curator, collection):
    client.force_login(curator)

    response = client.post(action_url(collection, "release"), {"apply": "1", "formats": ["csv", "alpaca_gz"]})

    release = Release.objects.get()
    assert response.url == reverse("admin:collections_app_release_change", args=[release.pk])
    assert release.formats == ["csv", "alpaca_gz"]
    page = client.get(response.url).content.decode()
    assert "csv/train.csv</a> — CSV (one row per pair, with header), 2 rows" in page
    assert "README.md</a> — the dataset card" in page


def test_release_without_a_format_chosen_asks_again(client, curator, collection):
    client.force_login(curator)

    page = client.post(action_url(collection, "release"), {"apply": "1"})

    assert page.status_code == 200
    assert page.context["form"].errors["formats"]
    assert not Release.objects.exists()


def test_collection_form_keeps_default_formats_and_description(admin_client, suite_tenants):
    response = admin_client.post(
        reverse("admin:collections_app_collection_add"),
        {
            "slug": "sums",
            "name": "Sums",
            "purpose": "training",
            "allowed_sources": '["operator", "synthetic", "imported"]',
            "split_ratios": '{"train": 0.8, "validation": 0.1, "test": 0.1}',
            "seed": "0",
            "tenant_id": "acme",
            "description": "Arithmetic.",
            "default_formats": ["alpaca", "csv"],
            "releases-TOTAL_FORMS": "0",
            "releases-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    collection = Collection.objects.get(slug="sums")
    assert (collection.default_formats, collection.description) == (["alpaca", "csv"], "Arithmetic.")
