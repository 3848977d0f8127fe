"""Where a person acts, the services check tenant membership; system callers (acting_user=None)
are not checked; an unknown tenant key never gets stored."""

import pytest

from collections_app.models import Collection
from collections_app.services import (
    CROSS_TENANT_NEEDS_ALL_TENANTS,
    collection_add_pairs,
    collection_release,
    collection_save,
    membership_fill_request,
)
from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from qa_app.services import qa_pair_create
from qa_app.services.imports import ImportRequest, import_run_create
from synthgov.errors import InvalidInput, PermissionRefused
from templates_app.selectors import TEMPLATE_RESTRICTED
from tenants_app.models import Tenant
from tenants_app.services import NOT_A_MEMBER, TENANT_KEY_INVALID, TENANT_UNKNOWN, tenant_require
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory, QAPairFactory


@pytest.fixture
def acme_member(make_user):
    return make_user("acme-member", "Operators", "Curators", "Reviewers", tenants=("acme",))


def _job(version, tenant: str) -> JobRequest:
    return JobRequest(template_version=version, tenant_id=tenant, record_count=2, target_surface="training")


def test_triggering_a_job_for_another_tenant_is_refused_naming_the_tenant(approved_version, acme_member):
    with pytest.raises(PermissionRefused) as refused:
        job_trigger(request=_job(approved_version, "globex"), acting_user=acme_member)

    assert refused.value.message == NOT_A_MEMBER.format(key="globex")
    assert not GenerationJob.objects.exists()


def test_a_member_triggers_a_job_for_their_tenant(approved_version, acme_member):
    job, created = job_trigger(request=_job(approved_version, "acme"), acting_user=acme_member)

    assert created
    assert job.tenant_id == "acme"


def test_a_tenant_that_does_not_exist_is_refused_to_a_non_member_as_not_theirs(approved_version, acme_member):
    with pytest.raises(PermissionRefused) as refused:
        job_trigger(request=_job(approved_version, "nobody-knows"), acting_user=acme_member)

    # The same answer as for an existing tenant: the refusal confirms nothing about other tenants.
    assert refused.value.message == NOT_A_MEMBER.format(key="nobody-knows")


def test_an_unknown_tenant_is_refused_to_a_user_who_sees_every_tenant(approved_version, operator):
    grant_view_all_tenants(operator)

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=_job(approved_version, "typo"), acting_user=operator)

    assert refused.value.message == TENANT_UNKNOWN.format(key="typo")
    assert not Tenant.objects.filter(key="typo").exists()


def test_a_system_caller_is_not_checked_for_membership_but_for_the_tenant(suite_tenants):
    assert tenant_require(acting_user=None, key="acme").key == "acme"
    with pytest.raises(InvalidInput, match="No tenant 'typo' exists"):
        tenant_require(acting_user=None, key="typo")


@pytest.mark.parametrize("key", ["a" * 101, "acme\x00"], ids=["over-long", "NUL"])
def test_an_over_long_or_nul_tenant_key_is_refused_before_any_query(suite_tenants, key):
    with pytest.raises(InvalidInput) as refused:
        tenant_require(acting_user=None, key=key)

    assert refused.value.message == TENANT_KEY_INVALID.format(field="tenant_id", limit=100, length=len(key))


def test_a_restricted_template_refuses_another_tenants_job(approved_version, operator):
    approved_version.template.allowed_tenants.set(Tenant.objects.filter(key="acme"))

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=_job(approved_version, "globex"), acting_user=operator)

    assert refused.value.message == TEMPLATE_RESTRICTED.format(
        template=approved_version.template.key, allowed="acme", tenant="globex"
    )


def test_a_restricted_template_serves_its_tenants(approved_version, operator):
    approved_version.template.allowed_tenants.set(Tenant.objects.filter(key="acme"))

    job, _ = job_trigger(request=_job(approved_version, "acme"), acting_user=operator)

    assert job.tenant_id == "acme"


def test_writing_a_pair_for_another_tenant_is_refused(acme_member):
    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        qa_pair_create(pair=QAPair(question="Whose?", answer="Theirs.", tenant_id="globex"), acting_user=acme_member)

    assert not QAPair.objects.exists()


def test_creating_a_collection_for_another_tenant_is_refused(acme_member):
    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        collection_save(
            collection=Collection(slug="theirs", name="Theirs", purpose="training", tenant_id="globex"),
            acting_user=acme_member,
        )

    assert not Collection.objects.exists()


def test_adding_pairs_to_another_tenants_collection_is_refused(acme_member):
    collection = CollectionFactory(tenant_id="globex")
    pair = QAPairFactory(tenant_id="globex", review_status=QAPair.ReviewStatus.APPROVED)

    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        collection_add_pairs(collection=collection, pairs=[pair], acting_user=acme_member)

    assert not collection.memberships.exists()


def test_a_fill_of_another_tenants_collection_is_refused(acme_member):
    collection = CollectionFactory(tenant_id="globex")

    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        membership_fill_request(collection=collection, filters={}, acting_user=acme_member)

    assert not collection.fills.exists()


def test_releasing_another_tenants_collection_is_refused(acme_member):
    collection = CollectionFactory(tenant_id="globex")

    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        collection_release(collection=collection, acting_user=acme_member)

    assert not collection.releases.exists()


def test_a_cross_tenant_collection_needs_a_user_who_sees_every_tenant(curator):
    collection = CollectionFactory(tenant_id="", cross_tenant=True, slug="everyone")

    with pytest.raises(PermissionRefused) as refused:
        collection_release(collection=collection, acting_user=curator)

    assert refused.value.message == CROSS_TENANT_NEEDS_ALL_TENANTS.format(slug="everyone")


def test_an_import_for_another_tenant_is_refused(acme_member, tmp_path):
    with pytest.raises(PermissionRefused, match="not a member of tenant 'globex'"):
        import_run_create(
            request=ImportRequest(tenant_id="globex", file_name="x.jsonl"),
            acting_user=acme_member,
            path="x.jsonl",
        )
