"""The first hour, through the admin pages in Chromium: one person per role does their part in turn.

author saves a new draft -> another person (approver) publishes it -> operator triggers a job and
watches it finish -> reviewer approves one pair, rejects another with a reason and approves the rest
-> curator collects the approved pairs and releases them -> the files downloaded from the release
page match the sha256 in its manifest.
"""

import hashlib
import json
from pathlib import Path

import pytest

from collections_app.models import Collection, Release
from jobs_app.models import GenerationJob
from qa_app.models import QAPair
from templates_app.models import TemplateVersion
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

from .pages import Browser, wait_for_bar

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]

NEW_QUESTION = "How much is {{ a }} plus {{ b }}?"
REJECTION_REASON = "The question gives the answer away."


@pytest.fixture
def sums_v1(role_users):
    """The template the team starts from: version 1, approved."""
    version = TemplateVersionFactory(author=role_users["author"].user)
    return template_version_publish(version=version, acting_user=role_users["approver"].user)


def open_first_result(browser: Browser, path: str) -> None:
    browser.goto(path)
    browser.page.click("#result_list tbody tr:first-child th a")
    browser.page.wait_for_load_state("load")


def click_object_action(browser: Browser, label: str) -> None:
    browser.page.click(f".object-tools button:text-is('{label}')")
    browser.page.wait_for_load_state("load")


def run_list_action(browser: Browser, action: str) -> None:
    browser.page.check("#action-toggle")
    browser.page.select_option("select[name=action]", action)
    browser.page.click("button[name=index]")
    browser.page.wait_for_load_state("load")


def author_saves_a_new_draft(browser: Browser, users, v1: TemplateVersion) -> TemplateVersion:
    browser.login(users["author"])
    open_first_result(browser, "/admin/templates_app/templateversion/")
    browser.step("author opens the approved version")
    click_object_action(browser, "New draft")
    browser.page.fill("#id_question_template", NEW_QUESTION)
    browser.step("author edits the new draft")
    browser.page.click("input[name=_save]")
    assert "changed successfully" in browser.success_message()
    browser.step("author saved the draft")
    browser.logout()

    draft = TemplateVersion.objects.get(template=v1.template, version=v1.version + 1)
    assert draft.status == TemplateVersion.Status.DRAFT
    assert draft.author == users["author"].user
    assert draft.question_template == NEW_QUESTION
    return draft


def approver_publishes_it(browser: Browser, users, draft: TemplateVersion, current: TemplateVersion) -> None:
    browser.login(users["approver"])
    open_first_result(browser, "/admin/templates_app/templateversion/?status__exact=draft")
    browser.step("approver opens the draft")
    click_object_action(browser, "Publish")
    browser.step("approver is asked about the current version")
    browser.page.click("input[type=submit][value='Publish']")
    assert f"version {current.version} archived" in browser.success_message()
    browser.step("approver published the draft")
    browser.logout()

    draft.refresh_from_db()
    assert draft.status == TemplateVersion.Status.APPROVED
    assert draft.published_by == users["approver"].user


def operator_runs_a_job(browser: Browser, users, version: TemplateVersion, cluster) -> GenerationJob:
    browser.login(users["operator"])
    open_first_result(browser, "/admin/templates_app/templateversion/?status__exact=approved")
    browser.page.click(".object-tools a:text-is('Trigger job')")
    assert browser.page.input_value("#id_template_version") == str(version.pk)
    browser.page.fill("#id_record_count", "30")
    browser.page.select_option("#id_tenant_id", "acme")
    browser.step("operator fills the trigger form")
    browser.page.click("input[type=submit][value='Trigger job']")
    browser.page.wait_for_selector(".field-progress progress")
    browser.page.evaluate("() => { window.loadedOnce = true; }")
    browser.step("operator lands on the job page")
    wait_for_bar(browser, cluster)
    assert browser.page.evaluate("() => window.loadedOnce") is True, "the job page was reloaded"
    assert "100% · 30/30" in browser.page.inner_text(".field-progress")
    browser.step("operator sees the job finished")
    browser.logout()

    job = GenerationJob.objects.get(template_version=version)
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records > 20
    return job


def reviewer_decides(browser: Browser, users, job: GenerationJob) -> None:
    browser.login(users["reviewer"])
    open_first_result(browser, "/admin/qa_app/qapair/?review_status__exact=pending")
    browser.step("reviewer reads a pair")
    click_object_action(browser, "Approve")
    approved_id = int(browser.success_message().split("#")[1].rstrip("."))
    browser.step("reviewer approved it")

    open_first_result(browser, "/admin/qa_app/qapair/?review_status__exact=pending")
    click_object_action(browser, "Reject…")
    browser.page.fill("#id_reason", REJECTION_REASON)
    browser.step("reviewer gives a reason")
    browser.page.click("input[type=submit][value='Reject']")
    rejected_id = int(browser.success_message().split("#")[1].rstrip("."))
    browser.step("reviewer rejected it")

    browser.goto("/admin/qa_app/qapair/?review_status__exact=pending")
    run_list_action(browser, "approve_selected")
    assert "Approved" in browser.success_message()
    browser.step("reviewer approved the rest")
    browser.logout()

    pairs = QAPair.objects.filter(job=job)
    assert pairs.get(pk=approved_id).review_status == QAPair.ReviewStatus.APPROVED
    rejected = pairs.get(pk=rejected_id)
    assert (rejected.review_status, rejected.review_reason) == (QAPair.ReviewStatus.REJECTED, REJECTION_REASON)
    assert rejected.reviewed_by == users["reviewer"].user
    assert not pairs.filter(review_status=QAPair.ReviewStatus.PENDING).exists()


def curator_releases(browser: Browser, users) -> Release:
    browser.login(users["curator"])
    browser.goto("/admin/collections_app/collection/")
    browser.page.click(".object-tools a.addlink")
    browser.page.fill("#id_slug", "first-hour")
    browser.page.fill("#id_name", "First hour")
    # The operator's job made the pairs of tenant acme; a collection holds one tenant's pairs.
    browser.page.select_option("#id_tenant_id", "acme")
    browser.step("curator creates a collection")
    browser.page.click("input[name=_save]")
    assert "added successfully" in browser.success_message()

    browser.goto("/admin/qa_app/qapair/?review_status__exact=approved")
    run_list_action(browser, "add_to_collection")
    browser.page.select_option("#id_collection", label="first-hour")
    browser.step("curator picks the collection")
    browser.page.click("input[type=submit][value='Add to collection']")
    assert "to 'first-hour'" in browser.success_message()
    browser.step("curator added the approved pairs")

    open_first_result(browser, "/admin/collections_app/collection/")
    click_object_action(browser, "Release")
    browser.step("curator is asked which formats to write (the collection's defaults ticked)")
    browser.page.click("input[type=submit][value='Release']")
    assert "Released" in browser.success_message()
    browser.step("curator released the collection")
    return Release.objects.get(collection=Collection.objects.get(slug="first-hour"))


def download_release_files(browser: Browser) -> dict[str, bytes]:
    """Every file linked from the release page, downloaded with the page's session, by link text."""
    files = {}
    links = browser.page.locator(".field-downloads a")
    assert links.count() > 1
    for position in range(links.count()):
        link = links.nth(position)
        with browser.page.expect_download() as download:
            link.click()
        files[link.inner_text().strip()] = Path(download.value.path()).read_bytes()
    return files


def test_each_role_does_its_part_of_the_first_hour_through_the_pages(browser, role_users, sums_v1, job_cluster):
    # Started first so that it is up when the operator triggers (tests/browser/test_job_progress.py
    # starts it only after the job page has loaded, to see the bar move).
    cluster = job_cluster()
    draft = author_saves_a_new_draft(browser, role_users, sums_v1)
    approver_publishes_it(browser, role_users, draft, sums_v1)
    job = operator_runs_a_job(browser, role_users, draft, cluster)
    reviewer_decides(browser, role_users, job)
    release = curator_releases(browser, role_users)

    files = download_release_files(browser)
    browser.step("curator downloaded the files")

    manifest = json.loads(files.pop("manifest.json"))
    assert sorted(files) == sorted(entry["name"] for entry in manifest["files"])
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"], entry["name"]
        if entry["split"]:
            assert len(files[entry["name"]].splitlines()) == entry["rows"]
    approved = QAPair.objects.filter(job=job, review_status=QAPair.ReviewStatus.APPROVED).count()
    assert manifest["rows"] == approved == release.items.count()
    first_line = json.loads(files["openai_chat/train.jsonl"].splitlines()[0])
    assert first_line["messages"][1]["content"].startswith("How much is")
