"""Buttons, links and bulk actions appear only for users who may take them; a refusal that still
happens is an admin message on the page the user came from, never a bare 403 page."""

import pytest
from django.urls import reverse

from jobs_app.models import GenerationJob
from templates_app.models import TemplateVersion
from tests.factories import TemplateVersionFactory


def change_page(client, obj):
    opts = obj._meta
    return client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).content.decode()


def button(label: str) -> str:
    return f'class="historylink synthgov-button">{label}</button>'


def offered_actions(response) -> set[str]:
    action_form = response.context["action_form"]
    return set(dict(action_form.fields["action"].choices)) if action_form else set()


def trigger_link(version) -> str:
    return reverse("admin:jobs_app_generationjob_trigger") + f"?template_version={version.pk}"


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_an_author_sees_new_draft_but_not_publish_archive_or_trigger(logged_in, author, draft_version):
    page = change_page(logged_in(author), draft_version)

    assert button("New draft") in page
    assert button("Publish") not in page
    assert button("Archive") not in page
    assert trigger_link(draft_version) not in page


def test_an_approver_sees_publish_and_archive_on_someone_elses_draft(logged_in, approver, draft_version):
    page = change_page(logged_in(approver), draft_version)

    assert button("Publish") in page
    assert button("Archive") in page
    assert button("New draft") not in page


def test_an_approver_does_not_see_publish_on_their_own_draft(logged_in, make_user):
    approving_author = make_user("approving_author", "Template authors", "Approvers")
    client = logged_in(approving_author)
    draft = TemplateVersionFactory(author=approving_author)

    page = change_page(client, draft)

    assert button("Publish") not in page
    assert button("Archive") in page


def test_an_operator_sees_the_trigger_job_link_on_a_version(logged_in, operator, approved_version):
    page = change_page(logged_in(operator), approved_version)

    assert trigger_link(approved_version) in page
    assert button("Publish") not in page


def test_publishing_by_a_hand_made_request_without_permission_is_a_message_on_the_version_page(
    logged_in, author, draft_version
):
    client = logged_in(author)
    url = reverse("admin:templates_app_templateversion_object_action", args=[draft_version.pk, "publish"])

    response = client.post(url, follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "admin:templates_app_templateversion_change", args=[draft_version.pk]
    )
    assert [str(message) for message in response.context["messages"]] == [
        "Publishing a template version needs the 'templates_app.publish_templateversion' permission; "
        "ask an administrator to give you a role (group) that has it."
    ]
    draft_version.refresh_from_db()
    assert draft_version.status == TemplateVersion.Status.DRAFT


def test_the_trigger_form_without_permission_returns_to_the_page_with_a_message(logged_in, reviewer):
    client = logged_in(reviewer)
    came_from = reverse("admin:jobs_app_generationjob_changelist")

    response = client.get(reverse("admin:jobs_app_generationjob_trigger"), HTTP_REFERER=came_from, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(came_from, 302)]
    assert [str(message) for message in response.context["messages"]] == [
        "Triggering a job needs the 'jobs_app.trigger_generationjob' permission; "
        "ask an administrator to give you a role (group) that has it."
    ]


def test_the_job_list_offers_trigger_a_job_only_to_operators(logged_in, reviewer, operator):
    url = reverse("admin:jobs_app_generationjob_changelist")
    trigger = reverse("admin:jobs_app_generationjob_trigger")

    assert trigger not in logged_in(reviewer).get(url).content.decode()
    assert trigger in logged_in(operator).get(url).content.decode()


def test_bulk_publish_and_archive_are_offered_only_to_approvers(logged_in, author, approver, draft_version):
    url = reverse("admin:templates_app_templateversion_changelist")

    author_actions = offered_actions(logged_in(author).get(url))
    approver_actions = offered_actions(logged_in(approver).get(url))

    assert "publish_selected" not in author_actions
    assert {"publish_selected", "archive_selected"} <= approver_actions


def test_bulk_cancel_is_offered_only_to_who_may_cancel(logged_in, reviewer, operator, approved_version, run_job):
    run_job(approved_version, record_count=5)
    assert GenerationJob.objects.exists()
    url = reverse("admin:jobs_app_generationjob_changelist")

    reviewer_page = logged_in(reviewer).get(url)
    operator_page = logged_in(operator).get(url)

    assert "cancel_selected" not in offered_actions(reviewer_page)
    assert "cancel_selected" in offered_actions(operator_page)
