"""Admin forms offer the tenants the user sees as a choice, never a free-text tenant: the job
trigger, the import upload, collections and webhook endpoints (tests/webhooks_app/test_tenants.py)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collections_app.admin import NO_TENANT
from qa_app.models import ImportRun, QAPair
from tests.conftest import grant_view_all_tenants

from .conftest import TENANT_A, TENANT_B

IMPORT_ADD = reverse("admin:qa_app_importrun_add")
COLLECTION_ADD = reverse("admin:collections_app_collection_add")
PAIR_ADD = reverse("admin:qa_app_qapair_add")


@pytest.fixture
def member(make_user):
    """A curator and operator of tenant A only."""
    return make_user("member", "Curators", "Operators", tenants=(TENANT_A,))


def tenant_choices_on(client, user, url) -> list[tuple[str, str]]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form if "adminform" in response.context else response.context["form"]
    return list(form.fields["tenant_id"].choices)


def test_the_import_form_offers_a_member_only_their_tenant(client, member, suite_tenants):
    assert tenant_choices_on(client, member, IMPORT_ADD) == [(TENANT_A, TENANT_A)]


def test_an_import_for_another_tenant_is_a_form_error_and_nothing_is_stored(client, member, suite_tenants):
    client.force_login(member)

    response = client.post(
        IMPORT_ADD,
        {
            "file": SimpleUploadedFile("a.jsonl", b'{"question": "Q?", "answer": "A."}\n'),
            "tenant_id": TENANT_B,
            "apply": "1",
        },
    )

    assert response.status_code == 200
    assert "tenant_id" in response.context["form"].errors
    assert not ImportRun.objects.exists()


def test_the_trigger_form_offers_a_member_only_their_tenant(client, member, suite_tenants):
    choices = tenant_choices_on(client, member, reverse("admin:jobs_app_generationjob_trigger"))

    assert choices == [(TENANT_A, TENANT_A)]


def test_the_collection_form_offers_a_member_only_their_tenant(client, member, suite_tenants):
    assert tenant_choices_on(client, member, COLLECTION_ADD) == [(TENANT_A, TENANT_A)]


def test_the_collection_form_offers_no_tenant_to_who_sees_every_tenant(client, member, suite_tenants):
    choices = tenant_choices_on(client, grant_view_all_tenants(member), COLLECTION_ADD)

    assert choices[0] == ("", NO_TENANT)
    assert {(TENANT_A, TENANT_A), (TENANT_B, TENANT_B)} <= set(choices)


@pytest.fixture
def typist(make_user):
    """An operator of tenant A who may type pairs."""
    user = make_user("typist", "Operators", tenants=(TENANT_A,))
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_qapair", "view_qapair"]))
    return user


def test_the_pair_form_offers_an_operator_only_their_tenant(client, typist, suite_tenants):
    assert tenant_choices_on(client, typist, PAIR_ADD) == [(TENANT_A, TENANT_A)]


def test_a_pair_typed_for_another_tenant_is_a_form_error_and_nothing_is_stored(client, typist, suite_tenants):
    client.force_login(typist)

    response = client.post(
        PAIR_ADD,
        {
            "question": "Whose pair is this?",
            "answer": "Not yours.",
            "context": "",
            "tags": "[]",
            "locale": "en",
            "tenant_id": TENANT_B,
        },
    )

    assert response.status_code == 200
    assert "tenant_id" in response.context["adminform"].form.errors
    assert not QAPair.objects.exists()
