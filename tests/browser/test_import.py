"""A curator uploads a file on the import page; a real qcluster imports it while the run's bar
moves to 100 % in place; the run links its pairs and its line errors."""

import json

import pytest

from qa_app.models import ImportRun, QAPair

from .pages import wait_for_bar

pytestmark = [pytest.mark.browser, pytest.mark.qcluster]


def test_a_curator_imports_a_file_and_watches_its_bar_reach_100_percent(browser, role_users, start_qcluster, tmp_path):
    path = tmp_path / "capitals.jsonl"
    records = [
        {"question": f"What is the capital of country number {number}?", "answer": f"City number {number}."}
        for number in range(400)
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records) + "{not json\n")
    browser.login(role_users["curator"])

    browser.goto("/admin/qa_app/importrun/")
    browser.page.click(".object-tools a.addlink")
    browser.page.set_input_files("#id_file", str(path))
    browser.page.select_option("#id_tenant_id", "acme")
    browser.page.fill("#id_locale", "en")
    browser.step("import form")
    browser.page.click("input[type=submit][value='Import']")
    browser.page.wait_for_selector(".field-progress progress")
    run = ImportRun.objects.get()
    assert browser.page.url.endswith(f"/admin/qa_app/importrun/{run.pk}/change/")
    browser.step("import queued")

    cluster = start_qcluster(SYNTHGOV_IMPORT_BATCH_SIZE="50")
    wait_for_bar(browser, cluster)
    browser.step("import finished")
    run.refresh_from_db()
    assert (run.status, run.imported, run.errors) == (ImportRun.Status.SUCCEEDED, 400, 1)
    assert QAPair.objects.filter(import_run=run, source="imported").count() == 400

    browser.page.click("text=1 duplicate(s) and line error(s)")
    assert "bad JSON" in browser.page.content()
    browser.step("the line error, with its line number and text")
