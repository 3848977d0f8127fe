"""Browser tests: Debian's Chromium driven by Playwright against a live server and a real qcluster.

Chromium is never downloaded (no `playwright install`): the system's /usr/bin/chromium is used.
Without it the tests are skipped locally and fail in CI (CI=true), where .ci/run installs it.
"""

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from synthgov.roles import ensure_roles

CHROMIUM = os.environ.get("SYNTHGOV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
# Small batches so that the bar visibly moves; the whole job still takes a few seconds.
CLUSTER_ENV = {"SYNTHGOV_GENERATION_BATCH_SIZE": "10"}
JOB_TIMEOUT_MS = 60_000


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Chromium)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    user: object


ROLE_USERS = {
    "author": "Template authors",
    "approver": "Approvers",
    "operator": "Operators",
    "reviewer": "Reviewers",
    "curator": "Curators",
}


@pytest.fixture
def role_users(transactional_db) -> dict[str, Credentials]:
    """One staff user per role, put in the role's group as a deployment would, each with a password.

    The one place the browser tests get their users (to become the demo users once those exist).
    """
    ensure_roles(Group, Permission)
    users = {}
    for name, group in ROLE_USERS.items():
        username, password = f"first-hour-{name}", f"{name}-Pa55word!"
        user = get_user_model().objects.create_user(username, password=password, is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        users[name] = Credentials(username, password, user)
    return users


class Browser:
    """A Playwright page on the live server that records every JavaScript error and screenshots each step."""

    def __init__(self, page, base_url: str, screenshot_dir: Path):
        self.page = page
        self.base_url = base_url
        self.screenshot_dir = screenshot_dir
        self.errors: list[str] = []
        self.steps = 0
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: uncaught {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        # Chromium asks every site for /favicon.ico on its own; the admin names no icon.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{self.page.url}: console.error: {message.text} ({message.location.get('url')})")

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.ok, f"GET {path}: {response.status}"
        return response

    def step(self, name: str) -> None:
        """Screenshot the page as `NN-name.png`; fail if any page so far had a JavaScript error."""
        self.page.wait_for_load_state("load")
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=str(self.screenshot_dir / f"{self.steps:02d}-{slug}.png"), full_page=True)
        self.assert_no_errors()

    def assert_no_errors(self) -> None:
        errors, self.errors = self.errors, []
        assert not errors, "JavaScript errors:\n" + "\n".join(errors)

    def login(self, credentials: Credentials) -> None:
        self.goto("/admin/login/?next=/admin/")
        self.page.fill("#id_username", credentials.username)
        self.page.fill("#id_password", credentials.password)
        self.page.click("input[type=submit]")
        self.page.wait_for_selector("#user-tools")
        self.step(f"{credentials.username} logged in")

    def logout(self) -> None:
        self.page.click("#logout-form button")
        self.page.wait_for_selector("text=Logged out")

    def success_message(self) -> str:
        return self.page.inner_text("ul.messagelist li.success")


@pytest.fixture
def sync_playwright():
    """Playwright's entry point, if Chromium and Playwright are there (checked before any server starts)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (requirements-dev.txt)")
    return sync_playwright


@pytest.fixture
def browser(sync_playwright, request, live_server, monkeypatch):
    """A headless Chromium page on the live server; screenshots go to var/screenshots/<test>/."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between page steps are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    screenshot_dir = SCREENSHOTS / request.node.name
    shutil.rmtree(screenshot_dir, ignore_errors=True)
    screenshot_dir.mkdir(parents=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        browser = Browser(page, live_server.url, screenshot_dir)
        try:
            yield browser
        finally:
            context.close()
            chromium.close()
    browser.assert_no_errors()


@pytest.fixture
def job_cluster(start_qcluster):
    """Start a cluster when the test is ready for the job to run (so the page sees it move)."""

    def start():
        return start_qcluster(**CLUSTER_ENV)

    return start


def wait_for_bar_to_finish(browser: Browser, cluster) -> None:
    """Wait until the page's bar shows 100 %; the cluster's log is shown if it does not get there."""
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        if browser.page.evaluate(
            """() => {
                const bar = document.querySelector('.field-progress progress');
                return bar !== null && bar.max > 0 && bar.value === bar.max
                    && !document.querySelector('[data-progress-url]');
            }"""
        ):
            return
        assert cluster.process.poll() is None, f"the qcluster stopped:\n{cluster.output()}"
        browser.page.wait_for_timeout(250)
    pytest.fail(f"the job's bar did not reach 100 %; qcluster:\n{cluster.output()}")
