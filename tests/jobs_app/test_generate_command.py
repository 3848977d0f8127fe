"""`manage.py generate`: trigger a job from the shell and follow it to the end."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jobs_app.models import GenerationJob
from tests.conftest import join_tenants


@pytest.fixture(autouse=True)
def operator_in_the_default_tenant(operator):
    """The command's default tenant is `default`; its operator is a member."""
    return join_tenants(operator, "default")


def generate(*args, **options) -> str:
    out = StringIO()
    call_command("generate", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_generate_runs_a_job_on_the_current_version_and_reports_its_outcome(approved_version, operator):
    output = generate(approved_version.template.key, records=30, user=operator.username, inline=True)

    job = GenerationJob.objects.get()
    assert job.template_version == approved_version
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert f"Job {job.pk} succeeded: {job.accepted_records} accepted" in output


def test_generate_without_follow_only_triggers(approved_version, operator):
    output = generate(approved_version.template.key, records=30, user=operator.username, no_follow=True)

    job = GenerationJob.objects.get()
    assert output.strip() == f"Job {job.pk} created."
    assert job.status == GenerationJob.Status.PENDING


def test_generate_refuses_an_unknown_template(operator):
    with pytest.raises(CommandError, match="No template has the key 'nope'"):
        generate("nope", records=10, user=operator.username)


def test_generate_refuses_a_template_without_a_current_version(draft_version, operator):
    with pytest.raises(CommandError, match=r"has no current approved version\. Pass --revision N\."):
        generate(draft_version.template.key, records=10, user=operator.username)


def test_generate_reports_a_refused_request_in_one_line(approved_version, operator):
    with pytest.raises(CommandError, match=r"^Locale \(locale\) must be a BCP 47 language tag"):
        generate(approved_version.template.key, records=10, user=operator.username, locale="klingon")

    assert not GenerationJob.objects.exists()


def test_generate_refuses_a_user_without_the_trigger_permission(approved_version, nobody):
    with pytest.raises(CommandError, match=r"needs the 'jobs_app\.trigger_generationjob' permission"):
        generate(approved_version.template.key, records=10, user=nobody.username)


def test_generate_passes_the_generator_and_its_config_to_the_contract(approved_version, operator):
    with pytest.raises(CommandError, match="no generator profile named 'nowhere'"):
        generate(
            approved_version.template.key,
            records=10,
            user=operator.username,
            generator="openai",
            generator_config={"profile": "nowhere"},
        )
