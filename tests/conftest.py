import pytest
from django.contrib.auth.models import Group, Permission

from jobs_app.models import RejectedArtifact
from jobs_app.services import JobRequest, job_trigger
from synthgov.roles import ensure_roles
from templates_app.services import template_version_publish
from tenants_app.models import Tenant, TenantMembership
from tenants_app.scoping import forget_visible_tenants
from tenants_app.services import tenants_ensure

from .factories import TemplateVersionFactory, UserFactory
from .qcluster import qcluster_starter


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# The tenants the suite's data belongs to (QAPairFactory's "acme", and "globex" for a second one).
SUITE_TENANTS = ("acme", "globex")


def ensure_suite_tenants() -> list[Tenant]:
    """The suite's tenants (created if a flush removed them)."""
    tenants_ensure(SUITE_TENANTS)
    return list(Tenant.objects.filter(key__in=SUITE_TENANTS))


def join_tenants(user, *keys: str):
    """Make `user` a member of the tenants `keys` (default: the suite's tenants), creating them."""
    tenants_ensure(keys or SUITE_TENANTS)
    for tenant in Tenant.objects.filter(key__in=keys or SUITE_TENANTS):
        TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    forget_visible_tenants(user)
    return user


@pytest.fixture
def make_user(db):
    """A user in the given role groups (created if a flush removed them), member of the suite's
    tenants (`tenants=(...)` for others; `tenants=()` for none)."""

    def make(username: str, *roles: str, tenants=SUITE_TENANTS):
        ensure_roles(Group, Permission)
        user = UserFactory(username=username, is_staff=True)
        user.groups.add(*Group.objects.filter(name__in=roles))
        if tenants:
            join_tenants(user, *tenants)
        return user

    return make


def grant_view_all_tenants(user):
    """Give `user` the explicit grant to see every tenant (what cross-tenant collections need)."""
    user.user_permissions.add(Permission.objects.get(codename="view_all_tenants"))
    forget_visible_tenants(user)
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


@pytest.fixture
def suite_tenants(db):
    return ensure_suite_tenants()


@pytest.fixture
def author(make_user):
    return make_user("author", "Template authors")


@pytest.fixture
def approver(make_user):
    return make_user("approver", "Approvers")


@pytest.fixture
def operator(make_user):
    return make_user("operator", "Operators")


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", "Reviewers")


@pytest.fixture
def curator(make_user):
    return make_user("curator", "Curators")


@pytest.fixture
def second(make_user):
    """A second reviewer, for two-reviewer (blind) review."""
    return make_user("second-reviewer", "Reviewers")


@pytest.fixture
def adjudicator(make_user):
    return make_user("adjudicator", "Adjudicators")


@pytest.fixture
def nobody(make_user):
    return make_user("nobody")


@pytest.fixture
def draft_version(author):
    return TemplateVersionFactory(author=author)


@pytest.fixture
def approved_version(draft_version, approver):
    return template_version_publish(version=draft_version, acting_user=approver)


@pytest.fixture
def run_job(operator, django_capture_on_commit_callbacks):
    """Trigger a job and run it through django-q2 (sync mode in tests) after commit."""

    def run(version, **request):
        request = {"tenant_id": "acme", "record_count": 20, "target_surface": "training", "seed": 1, **request}
        with django_capture_on_commit_callbacks(execute=True):
            job, _ = job_trigger(request=JobRequest(template_version=version, **request), acting_user=operator)
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def superuser_factory(db):
    def make(username: str = "root"):
        return UserFactory(username=username, is_staff=True, is_superuser=True)

    return make


@pytest.fixture
def rejected_artifact(author, approver, run_job):
    """A record of a production job rejected by its output schema (the sum has two digits, the schema allows one)."""
    version = TemplateVersionFactory(
        author=author,
        variables={
            "a": {"sampler": "int_range", "min": 5, "max": 9},
            "b": {"sampler": "int_range", "min": 5, "max": 9},
        },
        output_schema={
            "type": "object",
            "required": ["question", "answer"],
            "properties": {"answer": {"type": "string", "maxLength": 1}},
        },
    )
    template_version_publish(version=version, acting_user=approver)
    return RejectedArtifact.objects.get(job=run_job(version, record_count=1))


@pytest.fixture
def start_qcluster(tmp_path, monkeypatch):
    """Start real clusters against the test database (tests/qcluster.py); always stopped after the test."""
    with qcluster_starter(tmp_path, monkeypatch) as start:
        yield start
