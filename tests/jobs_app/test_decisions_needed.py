"""Decisions needed (1 or 2): the template's setting, overridden per job, stored on every pair the job makes."""

import pytest

from jobs_app.services import JobRequest, job_trigger
from qa_app.models import QAPair
from synthgov.errors import InvalidInput


def test_pairs_of_a_job_take_the_templates_setting(approved_version, run_job):
    template = approved_version.template
    template.decisions_needed = 2
    template.save()

    job = run_job(approved_version, record_count=5)

    assert set(QAPair.objects.filter(job=job).values_list("decisions_needed", flat=True)) == {2}


def test_a_jobs_own_setting_overrides_the_templates(approved_version, run_job):
    template = approved_version.template
    template.decisions_needed = 2
    template.save()

    job = run_job(approved_version, record_count=5, decisions_needed=1)

    assert set(QAPair.objects.filter(job=job).values_list("decisions_needed", flat=True)) == {1}


def test_pairs_need_one_decision_by_default(approved_version, run_job):
    job = run_job(approved_version, record_count=3)

    assert set(QAPair.objects.filter(job=job).values_list("decisions_needed", flat=True)) == {1}


def test_a_job_refuses_decisions_needed_other_than_1_or_2(approved_version, operator):
    request = JobRequest(
        template_version=approved_version,
        tenant_id="acme",
        record_count=1,
        target_surface="training",
        decisions_needed=3,
    )

    with pytest.raises(InvalidInput) as excinfo:
        job_trigger(request=request, acting_user=operator)

    assert excinfo.value.field == "decisions_needed"
