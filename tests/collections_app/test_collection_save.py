"""Collections are created through collection_save, which records the creator."""

import pytest
from django.urls import reverse

from collections_app.models import Collection
from collections_app.services import collection_save
from synthgov.errors import PermissionRefused


def test_the_admin_add_form_records_the_curator_as_creator(client, curator):
    client.force_login(curator)
    form = {
        "slug": "maths-eval",
        "name": "Maths evaluation",
        "purpose": "evaluation",
        "allowed_sources": '["operator"]',
        "split_ratios": '{"train": 0.8, "validation": 0.1, "test": 0.1}',
        "seed": "3",
        "tenant_id": "acme",
        "releases-TOTAL_FORMS": "0",
        "releases-INITIAL_FORMS": "0",
    }

    response = client.post(reverse("admin:collections_app_collection_add"), form)

    assert response.status_code == 302
    assert Collection.objects.get(slug="maths-eval").created_by == curator


def test_saving_needs_the_collection_permission(nobody):
    with pytest.raises(PermissionRefused, match="add_collection"):
        collection_save(collection=Collection(slug="x", name="X"), acting_user=nobody)

    assert not Collection.objects.exists()
