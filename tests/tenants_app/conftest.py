"""Two tenants, each owning one of every tenant-owned object, and the people who look at them:
a member of tenant A only, and a user with the explicit grant to see every tenant."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission

from collections_app.models import Collection, MembershipFill, Release, ReleaseItem
from collections_app.services import collection_add_pairs, collection_release
from jobs_app.models import DuplicateRecord, GenerationJob, RejectedArtifact
from jobs_app.services import JobRequest, job_trigger
from qa_app.models import ImportLineIssue, ImportRun, QAPair, ReviewDecision
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory, QAPairFactory, ReviewDecisionFactory, UserFactory
from webhooks_app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

TENANT_A, TENANT_B = "acme", "globex"
# Everything the roles of the matrix do, and what every view needs; never view_all_tenants.
ROLES = ("Operators", "Reviewers", "Curators", "Approvers", "Adjudicators")


@dataclass
class World:
    """One tenant's objects."""

    job: GenerationJob
    pair: QAPair  # approved, a member of `collection`, released
    pending: QAPair  # pending review, with one decision
    decision: ReviewDecision
    artifact: RejectedArtifact
    duplicate: DuplicateRecord
    run: ImportRun
    issue: ImportLineIssue
    collection: Collection
    release: Release
    item: ReleaseItem
    fill: MembershipFill
    endpoint: WebhookEndpoint  # of this tenant's events
    delivery: WebhookDelivery  # a given-up one, so it can be retried
    attempt: WebhookAttempt


def _webhook(tenant: str) -> tuple[WebhookEndpoint, WebhookDelivery, WebhookAttempt]:
    # Stored directly: the SSRF guard of the services would refuse any address a test can name.
    endpoint = WebhookEndpoint.objects.create(
        url=f"https://hooks.{tenant}.example/", events=["job.succeeded"], tenant_id=tenant, secret="whsec_test"
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="job.succeeded",
        tenant_id=tenant,
        subject=f"{tenant} job",
        payload={"tenant_id": tenant},
        webhook_id=f"msg_{tenant}",
        status=WebhookDelivery.Status.FAILED,
        attempts=1,
    )
    attempt = WebhookAttempt.objects.create(delivery=delivery, number=1, at=delivery.created_at, status_code=500)
    return endpoint, delivery, attempt


def _world(tenant: str, *, version, root, index: int) -> World:
    job, _ = job_trigger(
        request=JobRequest(template_version=version, tenant_id=tenant, record_count=4, target_surface="training"),
        acting_user=root,
    )
    pair = QAPairFactory(tenant_id=tenant, review_status=QAPair.ReviewStatus.APPROVED, question=f"{tenant} approved")
    pending = QAPairFactory(tenant_id=tenant, question=f"{tenant} pending", decisions_needed=2)
    # On the decided pair: a pending pair's decisions are hidden from other reviewers (blind review).
    decision = ReviewDecisionFactory(pair=pair, reviewer=UserFactory(username=f"reviewer-{tenant}"))
    artifact = RejectedArtifact.objects.create(
        job=job,
        record_index=0,
        payload={"question": f"{tenant} rejected?", "answer": "42"},
        reasons=[{"code": "schema", "message": "does not fit"}],
    )
    duplicate = DuplicateRecord.objects.create(job=job, record_index=1, content_hash="0" * 64, duplicate_of=pair)
    run = ImportRun.objects.create(
        file_name=f"{tenant}.jsonl",
        file_path=f"/nowhere/{tenant}.jsonl",
        file_sha256=f"{index}" * 64,
        file_format=ImportRun.Format.JSONL,
        shape=ImportRun.Shape.PLAIN,
        tenant_id=tenant,
    )
    issue = ImportLineIssue.objects.create(run=run, line=1, kind=ImportLineIssue.Kind.ERROR, reason="no question")
    collection = CollectionFactory(slug=f"set-{tenant}", tenant_id=tenant)
    collection_add_pairs(collection=collection, pairs=[pair], acting_user=root)
    release = collection_release(collection=collection, acting_user=root, formats=["openai_chat"])
    fill = MembershipFill.objects.create(collection=collection, requested_by=root)
    endpoint, delivery, attempt = _webhook(tenant)
    return World(
        job=job,
        pair=pair,
        pending=pending,
        decision=decision,
        artifact=artifact,
        duplicate=duplicate,
        run=run,
        issue=issue,
        collection=collection,
        release=release,
        item=release.items.get(),
        fill=fill,
        endpoint=endpoint,
        delivery=delivery,
        attempt=attempt,
    )


@pytest.fixture
def worlds(approved_version, suite_tenants) -> dict[str, World]:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        tenant: _world(tenant, version=approved_version, root=root, index=index)
        for index, tenant in enumerate((TENANT_A, TENANT_B), start=1)
    }


def _with_every_view_permission(user):
    user.user_permissions.add(
        *Permission.objects.filter(codename__startswith="view_").exclude(codename="view_all_tenants")
    )
    return user


@pytest.fixture
def member_a(make_user):
    """A member of tenant A only, with every role and every view permission (but not view_all_tenants)."""
    return _with_every_view_permission(make_user("member-a", *ROLES, tenants=(TENANT_A,)))


@pytest.fixture
def sees_all(make_user):
    """A member of no tenant, with the explicit grant to see them all."""
    return grant_view_all_tenants(_with_every_view_permission(make_user("sees-all", *ROLES, tenants=())))


@pytest.fixture
def admin_client_for(client):
    """The test client logged in as the given user."""

    def log_in(user):
        client.force_login(user)
        return client

    return log_in
