"""Rejected artifacts, duplicates and quality scores in the admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from jobs_app.models import DuplicateRecord
from qa_app.models import QAPair
from templates_app.services import template_version_publish
from tests.factories import QAPairFactory, TemplateVersionFactory
from tests.jobs_app.conftest import FOUR_COMBINATIONS


@pytest.fixture
def artifact(rejected_artifact):
    return rejected_artifact


def promote_url(artifact):
    return reverse("admin:jobs_app_rejectedartifact_object_action", args=[artifact.pk, "promote"])


def test_promote_form_is_prefilled_with_the_artifacts_content(client, reviewer, artifact):
    client.force_login(reviewer)

    response = client.post(promote_url(artifact))

    assert response.status_code == 200
    assert response.context["form"].initial["question"] == artifact.payload["question"]
    assert response.context["form"].initial["answer"] == artifact.payload["answer"]


def test_promote_form_creates_a_pending_pair_and_opens_it(client, reviewer, artifact):
    client.force_login(reviewer)

    response = client.post(
        promote_url(artifact),
        {"apply": "1", "question": artifact.payload["question"], "answer": "It is 1" + "4", "context": ""},
    )

    artifact.refresh_from_db()
    pair = artifact.promoted_pair
    assert pair.review_status == QAPair.ReviewStatus.PENDING
    assert response.url == reverse("admin:qa_app_qapair_change", args=[pair.pk])


def test_promote_form_shows_a_refused_duplicate(client, reviewer, artifact):
    existing = QAPairFactory(question="What is five plus five?", answer="10", tenant_id="acme")
    client.force_login(reviewer)

    response = client.post(promote_url(artifact), {"apply": "1", "question": existing.question, "answer": "10"})

    assert response.status_code == 200
    assert f"QA pair #{existing.pk}" in str(response.context["form"].non_field_errors())
    artifact.refresh_from_db()
    assert artifact.promoted_pair is None


def test_job_page_links_to_its_duplicates(client, superuser_factory, author, approver, run_job):
    version = TemplateVersionFactory(author=author, variables=FOUR_COMBINATIONS)
    job = run_job(template_version_publish(version=version, acting_user=approver), record_count=10)
    client.force_login(superuser_factory())

    response = client.get(reverse("admin:jobs_app_generationjob_change", args=[job.pk]))

    assert f"{job.duplicate_records} duplicate(s)" in response.content.decode()
    changelist = client.get(reverse("admin:jobs_app_duplicaterecord_changelist") + f"?job__id__exact={job.pk}")
    assert changelist.status_code == 200
    first = DuplicateRecord.objects.filter(job=job).first()
    assert reverse("admin:qa_app_qapair_change", args=[first.duplicate_of_id]) in changelist.content.decode()


@pytest.mark.parametrize(
    ("descending", "expected"), [(False, ["quality_score", "pk"]), (True, ["-quality_score", "-pk"])]
)
def test_sorting_pairs_by_quality_breaks_ties_by_id_in_the_same_direction(rf, reviewer, descending, expected):
    model_admin = admin.site._registry[QAPair]
    request = rf.get("/")
    request.user = reviewer
    column = model_admin.get_changelist_instance(request).list_display.index("quality_score")
    request = rf.get("/", {"o": f"{'-' if descending else ''}{column}"})
    request.user = reviewer

    changelist = model_admin.get_changelist_instance(request)

    assert changelist.get_ordering(request, changelist.root_queryset) == expected
