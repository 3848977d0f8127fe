"""The template version admin: preview, diff, coverage, the jobs that used a version, publishing with a choice."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jobs_app.models import GenerationJob
from synthgov.demo import finish_demo_job, load_demo
from synthgov.errors import InvalidInput
from templates_app.models import TemplateVersion
from templates_app.sampling import SamplingContext, VariableSampler
from templates_app.selectors import (
    PREVIEW_COUNT_OUT_OF_RANGE,
    previous_version,
    version_diff,
    version_preview,
)
from tests.factories import TemplateVersionFactory


def make_jobs(version, user, count):
    # Rows only: the change page reads jobs, it does not run them.
    for _ in range(count):
        GenerationJob.objects.create(
            template_version=version, chapter_key="arithmetic", tenant_id="acme", record_count=10, created_by=user
        )


def page_url(version, page):
    return reverse(f"admin:templates_app_templateversion_{page}", args=[version.pk])


def change_url(version):
    return reverse("admin:templates_app_templateversion_change", args=[version.pk])


def action_url(version, name):
    return reverse("admin:templates_app_templateversion_object_action", args=[version.pk, name])


@pytest.fixture
def admin_client(client, superuser_factory):
    client.force_login(superuser_factory())
    return client


@pytest.fixture
def second_draft(approved_version, author):
    return TemplateVersionFactory(
        template=approved_version.template,
        version=approved_version.version + 1,
        author=author,
        answer_template="{{ a + b + 0 }}",
    )


def test_preview_shows_the_requested_records_with_their_variables(admin_client, draft_version):
    response = admin_client.get(page_url(draft_version, "preview"), {"seed": 7, "count": 3, "locale": "en"})

    assert response.status_code == 200
    records = response.context["records"]
    sampler = VariableSampler(draft_version.variables, SamplingContext.for_version(draft_version))
    assert [record["variables"] for record in records] == [sampler.sample(7, index) for index in range(3)]
    first = records[0]["variables"]
    assert f"What is {first['a']} plus {first['b']}?".encode() in response.content
    assert b"Record 2" in response.content
    assert b"Record 3" not in response.content


def test_preview_is_deterministic_for_a_seed(admin_client, draft_version):
    query = {"seed": 42, "count": 5, "locale": "en"}

    first = admin_client.get(page_url(draft_version, "preview"), query).context["records"]
    again = admin_client.get(page_url(draft_version, "preview"), query).context["records"]

    assert first == again
    assert first != admin_client.get(page_url(draft_version, "preview"), {**query, "seed": 43}).context["records"]


def test_preview_without_a_query_shows_five_records_of_seed_zero(admin_client, approved_version):
    response = admin_client.get(page_url(approved_version, "preview"))

    records = response.context["records"]
    assert len(records) == 5
    expected = version_preview(version=approved_version, seed=0, count=5)
    assert [(record["variables"], record["rendered"]) for record in records] == [
        (record["variables"], record["rendered"]) for record in expected
    ]


def test_preview_shows_a_record_that_fails_to_render_with_its_error(admin_client, author):
    version = TemplateVersionFactory(
        author=author,
        variables={"a": {"sampler": "list", "values": [1, 2, 3]}},
        question_template="What is 100 divided by {{ a - 2 }}?",
        answer_template="{{ 100 // (a - 2) }}",
    )

    response = admin_client.get(page_url(version, "preview"), {"seed": 0, "count": 3, "locale": "en"})

    assert response.status_code == 200
    failed = [record for record in response.context["records"] if record["error"]]
    assert [record["record_index"] for record in failed] == [1]
    assert failed[0]["variables"] == {"a": 2}
    assert failed[0]["error"].startswith("answer_template")
    assert failed[0]["error"].encode() in response.content
    assert b"What is 100 divided by -1?" in response.content


def test_preview_of_a_template_that_does_not_compile_shows_the_error(admin_client, author):
    version = TemplateVersionFactory(author=author, question_template="What is {{ a plus }}?")

    response = admin_client.get(page_url(version, "preview"))

    assert response.status_code == 200
    assert response.context["records"] == []
    assert response.context["error"].startswith("question_template, line 1")


def test_preview_where_no_record_renders_shows_one_error_naming_the_field(admin_client, author):
    version = TemplateVersionFactory(
        author=author,
        variables={"a": {"sampler": "list", "values": [2]}},
        question_template="What is 100 divided by {{ a - 2 }}?",
        answer_template="{{ 100 // (a - 2) }}",
    )

    response = admin_client.get(page_url(version, "preview"), {"seed": 0, "count": 3, "locale": "en"})

    assert response.status_code == 200
    assert response.context["records"] == []
    assert response.context["error"].startswith("No record renders: answer_template, line 1")


def test_preview_refuses_more_than_fifty_records(draft_version):
    with pytest.raises(InvalidInput, match=PREVIEW_COUNT_OUT_OF_RANGE) as refused:
        version_preview(version=draft_version, seed=0, count=51)

    assert refused.value.field == "count"


def test_preview_shows_the_form_error_for_too_many_records(admin_client, draft_version):
    response = admin_client.get(page_url(draft_version, "preview"), {"seed": 0, "count": 99, "locale": "en"})

    assert response.status_code == 200
    assert response.context["records"] == []
    assert response.context["form"].errors["count"]


def test_preview_of_an_unknown_version_is_not_found(admin_client):
    assert admin_client.get(reverse("admin:templates_app_templateversion_preview", args=[999999])).status_code == 404


def test_preview_needs_the_view_permission(client, nobody, draft_version):
    client.force_login(nobody)

    assert client.get(page_url(draft_version, "preview")).status_code == 403
    assert client.get(page_url(draft_version, "diff")).status_code == 403


def test_preview_is_open_to_those_who_may_view_versions(client, operator, approved_version):
    client.force_login(operator)

    assert client.get(page_url(approved_version, "preview")).status_code == 200


def test_diff_shows_the_changed_lines_against_the_previous_version(admin_client, second_draft):
    response = admin_client.get(page_url(second_draft, "diff"))

    against_previous = response.context["comparisons"][0]
    assert [diff["field"] for diff in against_previous["fields"]] == ["answer_template"]
    lines = against_previous["fields"][0]["lines"]
    assert ("removed", "-{{ a + b }}") in lines
    assert ("added", "+{{ a + b + 0 }}") in lines
    assert b'<span class="synthgov-diff-added">+{{ a + b + 0 }}</span>' in response.content


def test_diff_shows_the_changes_against_the_current_approved_version(admin_client, second_draft, author):
    third = TemplateVersionFactory(
        template=second_draft.template,
        version=second_draft.version + 1,
        author=author,
        answer_template=second_draft.answer_template,
        question_template="How much is {{ a }} and {{ b }}?",
    )

    previous, current = admin_client.get(page_url(third, "diff")).context["comparisons"]

    assert previous["other"] == second_draft
    assert [diff["field"] for diff in previous["fields"]] == ["question_template"]
    assert current["other"].version == second_draft.version - 1
    assert [diff["field"] for diff in current["fields"]] == ["question_template", "answer_template"]


def test_diff_of_the_first_version_says_there_is_no_previous_version(admin_client, approved_version):
    response = admin_client.get(page_url(approved_version, "diff"))

    assert response.status_code == 200
    assert b"No previous version." in response.content
    assert b"This is the current approved version." in response.content


def test_diff_says_no_differences_for_equal_content(admin_client, approved_version, author):
    copy = TemplateVersionFactory(
        template=approved_version.template, version=approved_version.version + 1, author=author
    )

    response = admin_client.get(page_url(copy, "diff"))

    assert [comparison["note"] for comparison in response.context["comparisons"]] == [
        "No differences.",
        "No differences.",
    ]


def test_json_fields_are_diffed_pretty_printed_with_sorted_keys(approved_version, author):
    reordered = {"b": approved_version.variables["b"], "a": {**approved_version.variables["a"], "max": 99}}
    changed = TemplateVersionFactory(
        template=approved_version.template, version=approved_version.version + 1, author=author, variables=reordered
    )

    (diff,) = version_diff(version=changed, other=approved_version)

    assert diff["field"] == "variables"
    assert [line for line in diff["lines"] if line[:1] in "+-" and line[:3] not in ("+++", "---")] == [
        '-    "max": 10000,',
        '+    "max": 99,',
    ]


def test_previous_version_is_the_one_numbered_just_below(second_draft, approved_version):
    assert previous_version(second_draft) == approved_version
    assert previous_version(approved_version) is None


def test_the_change_page_links_to_preview_diff_and_history(admin_client, approved_version):
    response = admin_client.get(change_url(approved_version))
    history_url = reverse("admin:templates_app_templateversion_history", args=[approved_version.pk])

    for url in (page_url(approved_version, "preview"), page_url(approved_version, "diff"), history_url):
        assert f'href="{url}"'.encode() in response.content
    assert admin_client.get(history_url).status_code == 200


def test_the_change_page_lists_the_jobs_that_used_the_version(admin_client, approved_version, run_job):
    job = run_job(approved_version, record_count=5)

    response = admin_client.get(change_url(approved_version))

    job_url = reverse("admin:jobs_app_generationjob_change", args=[job.pk])
    assert f'<a href="{job_url}">#{job.pk}</a>'.encode() in response.content
    assert b"All 1 job(s) using this version" in response.content
    assert b'class="synthgov-status-succeeded"' in response.content


def test_the_job_list_filters_by_the_version_the_change_page_links_to(admin_client, approved_version, run_job):
    job = run_job(approved_version, record_count=3)
    other = run_job(TemplateVersionFactory(), record_count=3, production=False)

    response = admin_client.get(
        reverse("admin:jobs_app_generationjob_changelist"), {"template_version__id__exact": approved_version.pk}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [job]
    assert other.pk != job.pk


def test_the_change_page_costs_no_query_per_job(admin_client, approved_version, operator):
    make_jobs(approved_version, operator, 1)
    with CaptureQueriesContext(connection) as one_job:
        admin_client.get(change_url(approved_version))
    make_jobs(approved_version, operator, 4)
    with CaptureQueriesContext(connection) as five_jobs:
        response = admin_client.get(change_url(approved_version))

    assert b"All 5 job(s) using this version" in response.content
    assert len(five_jobs.captured_queries) == len(one_job.captured_queries)


def test_the_change_page_shows_the_number_of_variable_combinations(admin_client, approved_version):
    response = admin_client.get(change_url(approved_version))

    assert b"100,000,000 distinct combinations." in response.content
    assert b"<td>100,000</td><td>100,000</td>" in response.content


def test_the_change_page_says_when_combinations_are_unbounded(admin_client, author):
    version = TemplateVersionFactory(
        author=author, variables={"a": {"sampler": "int_range", "min": 1, "max": 9}, "b": {"sampler": "uuid"}}
    )

    response = admin_client.get(change_url(version))

    assert b"Unbounded: b can take unlimited values" in response.content


def test_the_version_list_shows_which_version_is_current(admin_client, approved_version):
    response = admin_client.get(reverse("admin:templates_app_templateversion_changelist"))

    assert "is_current" in response.context["cl"].list_display
    # The approved version's row shows the boolean as Django's "yes" icon.
    assert b'alt="True"' in response.content


def test_publishing_over_a_current_version_asks_what_to_do_with_it(client, approver, approved_version, second_draft):
    client.force_login(approver)

    response = client.post(action_url(second_draft, "publish"))

    assert response.status_code == 200
    assert f"Archive version {approved_version.version} (current)".encode() in response.content
    assert f"Keep version {approved_version.version} approved".encode() in response.content
    second_draft.refresh_from_db()
    assert second_draft.status == TemplateVersion.Status.DRAFT


def test_publishing_with_keep_previous_keeps_the_old_version_approved(client, approver, approved_version, second_draft):
    client.force_login(approver)

    client.post(action_url(second_draft, "publish"), {"apply": "1", "previous": "keep"})

    approved_version.refresh_from_db()
    second_draft.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.APPROVED
    assert not approved_version.is_current
    assert second_draft.status == TemplateVersion.Status.APPROVED
    assert second_draft.is_current


def test_publishing_by_default_archives_the_old_version(client, approver, approved_version, second_draft):
    client.force_login(approver)

    response = client.post(action_url(second_draft, "publish"), {"apply": "1", "previous": "archive"}, follow=True)

    approved_version.refresh_from_db()
    second_draft.refresh_from_db()
    assert approved_version.status == TemplateVersion.Status.ARCHIVED
    assert second_draft.is_current
    assert f"Published {second_draft}; version {approved_version.version} archived." in [
        str(m) for m in response.context["messages"]
    ]


def test_publishing_the_first_version_asks_nothing(client, approver, draft_version):
    client.force_login(approver)

    response = client.post(action_url(draft_version, "publish"))

    assert response.status_code == 302
    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.APPROVED


def test_preview_and_diff_open_for_every_demo_version(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = load_demo()
    finish_demo_job(outcome.job)
    assert GenerationJob.objects.exists()

    for version in TemplateVersion.objects.all():
        for page in ("preview", "diff"):
            assert admin_client.get(page_url(version, page)).status_code == 200, (version, page)
