"""An operator triggers a job from the admin and watches its bar reach 100 % without a reload."""

import pytest

from jobs_app.models import GenerationJob
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

from .pages import BAR_STARTED, wait_for_bar

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]


@pytest.fixture
def approved_sums(role_users):
    version = TemplateVersionFactory(author=role_users["author"].user)
    return template_version_publish(version=version, acting_user=role_users["approver"].user)


def test_the_job_page_moves_its_bar_to_100_percent_in_place(browser, role_users, approved_sums, job_cluster):
    browser.login(role_users["operator"])
    browser.goto("/admin/jobs_app/generationjob/")
    browser.page.click("text=Trigger a job")
    browser.page.select_option("#id_template_version", str(approved_sums.pk))
    browser.page.fill("#id_record_count", "120")
    browser.page.select_option("#id_tenant_id", "acme")
    browser.step("trigger form filled")
    browser.page.click("input[type=submit][value='Trigger job']")
    browser.page.wait_for_selector(".field-progress progress")
    job = GenerationJob.objects.get()
    assert browser.page.url.endswith(f"/admin/jobs_app/generationjob/{job.pk}/change/")
    # No cluster runs yet: the page shows the job waiting, so everything after this is in-place updates.
    assert browser.page.get_attribute(".field-progress progress", "value") == "0"
    browser.page.evaluate("() => { window.loadedOnce = true; }")
    browser.step("job page pending")

    cluster = job_cluster()
    wait_for_bar(browser, cluster, BAR_STARTED, "move")
    browser.step("job page running")
    wait_for_bar(browser, cluster)
    browser.step("job page finished")

    assert browser.page.evaluate("() => window.loadedOnce") is True, "the page was reloaded"
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED
    page_text = browser.page.inner_text("#content-main")
    assert "100% · 120/120" in page_text
    assert browser.page.inner_text(".form-row.field-status .readonly") == "Succeeded"
    assert browser.page.inner_text(".form-row.field-accepted_records .readonly") == str(job.accepted_records)
    assert job.accepted_records > 0
    assert browser.page.inner_text("#shards-group td.field-status") == "Done"
    assert browser.page.inner_text("#shards-group td.field-processed_records") == "120"
