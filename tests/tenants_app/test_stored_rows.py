"""A service that changes a stored row of a tenant refuses a person who does not see that tenant,
whichever edge calls it, before it says anything of the row's state; nothing changes.

The admin and the API already hide other tenants' rows; these tests call the services directly,
as a command, a task or a future edge would.
"""

import pytest
from django.contrib.auth.models import Permission

from jobs_app.models import GenerationJob, RejectedArtifact
from jobs_app.services import JobRequest, job_cancel, job_resume, job_trigger
from jobs_app.services.artifacts import rejected_artifact_promote
from qa_app.models import ImportRun, QAPair, ReviewDecision
from qa_app.services import (
    PAIR_STAYS_IN_ITS_TENANT,
    qa_pair_adjudicate,
    qa_pair_approve,
    qa_pair_claim,
    qa_pair_edit,
    qa_pair_edit_and_approve,
    qa_pair_reject,
    qa_pair_reopen,
    qa_pair_skip,
    qa_pairs_review,
)
from qa_app.services.imports import import_run_cancel
from synthgov.errors import InvalidInput, PermissionRefused
from tenants_app.models import Tenant, TenantMembership
from tenants_app.services import tenant_membership_add, tenant_membership_remove
from tests.factories import QAPairFactory, UserFactory

NOT_THEIRS = "not a member of tenant 'globex'"


@pytest.fixture
def acme_member(make_user):
    """Every role, and the rights to manage memberships, in tenant acme only."""
    user = make_user(
        "acme-member", "Operators", "Reviewers", "Curators", "Approvers", "Adjudicators", tenants=("acme",)
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=("add_tenantmembership", "delete_tenantmembership"))
    )
    return user


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def globex_pair(suite_tenants):
    return QAPairFactory(tenant_id="globex", question="Whose pair is this?")


@pytest.fixture
def globex_job(approved_version, root, suite_tenants) -> GenerationJob:
    request = JobRequest(
        template_version=approved_version, tenant_id="globex", record_count=2, target_surface="training"
    )
    return job_trigger(request=request, acting_user=root)[0]


def _status(pair: QAPair) -> str:
    return QAPair.objects.values_list("review_status", flat=True).get(pk=pair.pk)


def test_approving_another_tenants_pair_is_refused(acme_member, globex_pair):
    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_approve(pair=globex_pair, acting_user=acme_member)

    assert _status(globex_pair) == QAPair.ReviewStatus.PENDING
    assert not ReviewDecision.objects.exists()


def test_rejecting_a_decided_pair_of_another_tenant_is_refused_without_telling_its_state(
    acme_member, root, suite_tenants
):
    decided = QAPairFactory(tenant_id="globex", review_status=QAPair.ReviewStatus.APPROVED)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_reject(pair=decided, acting_user=acme_member, reason="Wrong.")

    assert _status(decided) == QAPair.ReviewStatus.APPROVED


def test_a_bulk_review_skips_the_pairs_of_another_tenant(acme_member, globex_pair, suite_tenants):
    own = QAPairFactory(tenant_id="acme", question="Whose is this one?")

    result = qa_pairs_review(pairs=QAPair.objects.all(), approve=True, acting_user=acme_member)

    assert (result.decided, result.skipped) == (1, 1)
    assert _status(own) == QAPair.ReviewStatus.APPROVED
    assert _status(globex_pair) == QAPair.ReviewStatus.PENDING
    assert list(ReviewDecision.objects.values_list("pair_id", flat=True)) == [own.pk]


def test_adjudicating_another_tenants_pair_is_refused(acme_member, suite_tenants):
    disputed = QAPairFactory(tenant_id="globex", review_status=QAPair.ReviewStatus.AWAITING_ADJUDICATION)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_adjudicate(pair=disputed, approve=True, acting_user=acme_member)

    assert _status(disputed) == QAPair.ReviewStatus.AWAITING_ADJUDICATION


def test_reopening_another_tenants_pair_is_refused(acme_member, suite_tenants):
    decided = QAPairFactory(tenant_id="globex", review_status=QAPair.ReviewStatus.APPROVED)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_reopen(pair=decided, acting_user=acme_member, reason="Look again.")

    assert _status(decided) == QAPair.ReviewStatus.APPROVED


def test_editing_another_tenants_pair_is_refused(acme_member, globex_pair):
    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_edit(pair=globex_pair, acting_user=acme_member, answer="Mine now.")

    assert QAPair.objects.get(pk=globex_pair.pk).answer == globex_pair.answer


def test_an_edit_cannot_move_a_pair_to_another_tenant(acme_member, suite_tenants):
    own = QAPairFactory(tenant_id="acme")

    with pytest.raises(InvalidInput) as refused:
        qa_pair_edit(pair=own, acting_user=acme_member, tenant_id="globex")

    assert refused.value.message == PAIR_STAYS_IN_ITS_TENANT.format(pk=own.pk, tenant="acme")
    assert QAPair.objects.get(pk=own.pk).tenant_id == "acme"


def test_editing_and_approving_another_tenants_pair_is_refused(acme_member, globex_pair):
    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_edit_and_approve(pair=globex_pair, acting_user=acme_member, question="Mine?", answer="Yes.", context="")

    stored = QAPair.objects.get(pk=globex_pair.pk)
    assert (stored.question, stored.review_status) == (globex_pair.question, QAPair.ReviewStatus.PENDING)


def test_claiming_another_tenants_pair_is_refused(acme_member, globex_pair):
    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_claim(pair=globex_pair, acting_user=acme_member)

    assert QAPair.objects.get(pk=globex_pair.pk).claimed_by_id is None


def test_skipping_another_tenants_pair_is_refused_without_telling_its_claim(acme_member, globex_pair, root):
    QAPair.objects.filter(pk=globex_pair.pk).update(claimed_by=root)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        qa_pair_skip(pair=globex_pair, acting_user=acme_member)

    assert QAPair.objects.get(pk=globex_pair.pk).claimed_by_id == root.pk


def test_promoting_another_tenants_rejected_artifact_is_refused(acme_member, globex_job):
    artifact = RejectedArtifact.objects.create(
        job=globex_job, record_index=0, payload={"question": "Q?", "answer": "A."}, reasons=[]
    )

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        rejected_artifact_promote(artifact=artifact, question="Q?", answer="A.", context="", acting_user=acme_member)

    assert RejectedArtifact.objects.get(pk=artifact.pk).promoted_pair_id is None
    assert not QAPair.objects.exists()


def test_cancelling_another_tenants_job_is_refused(acme_member, globex_job):
    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        job_cancel(job=globex_job, acting_user=acme_member)

    assert GenerationJob.objects.get(pk=globex_job.pk).status == GenerationJob.Status.PENDING


def test_resuming_another_tenants_job_is_refused(acme_member, globex_job, root):
    job_cancel(job=globex_job, acting_user=root)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        job_resume(job=globex_job, acting_user=acme_member)

    assert GenerationJob.objects.get(pk=globex_job.pk).status == GenerationJob.Status.CANCELLED


def test_cancelling_another_tenants_import_is_refused(acme_member, suite_tenants):
    run = ImportRun.objects.create(
        file_name="theirs.jsonl", file_path="/nowhere/theirs.jsonl", file_sha256="1" * 64, tenant_id="globex"
    )

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        import_run_cancel(run=run, acting_user=acme_member)

    assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.PENDING


def test_joining_a_tenant_one_does_not_see_is_refused(acme_member, suite_tenants):
    globex = Tenant.objects.get(key="globex")

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        tenant_membership_add(acting_user=acme_member, tenant=globex, user=acme_member)

    assert not TenantMembership.objects.filter(tenant=globex, user=acme_member).exists()


def test_removing_a_member_of_a_tenant_one_does_not_see_is_refused(acme_member, root, suite_tenants):
    globex = Tenant.objects.get(key="globex")
    membership, _ = tenant_membership_add(acting_user=None, tenant=globex, user=root)

    with pytest.raises(PermissionRefused, match=NOT_THEIRS):
        tenant_membership_remove(acting_user=acme_member, membership=membership)

    assert TenantMembership.objects.filter(pk=membership.pk).exists()


def test_a_user_who_sees_every_tenant_still_reviews_any_tenants_pair(root, globex_pair):
    qa_pair_approve(pair=globex_pair, acting_user=root)

    assert _status(globex_pair) == QAPair.ReviewStatus.APPROVED
