"""The page object the browser tests drive, and waiting for a job's bar."""

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the fixtures skip (or fail in CI) before anything needs it
    PlaywrightError = Exception

JOB_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    user: object


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
        self.navigations = 0
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

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


BAR_STARTED = """() => {
    const bar = document.querySelector('.field-progress progress');
    return bar !== null && Number(bar.value) > 0;
}"""
BAR_FINISHED = """() => {
    const bar = document.querySelector('.field-progress progress');
    return bar !== null && bar.max > 0 && bar.value === bar.max && !document.querySelector('[data-progress-url]');
}"""


def wait_for_bar(browser: Browser, cluster, condition: str = BAR_FINISHED, what: str = "reach 100 %") -> None:
    """Wait on the job's page until `condition` holds, failing if the page reloads or the cluster stops."""
    navigations = browser.navigations
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        try:
            done = browser.page.evaluate(condition)
        except PlaywrightError:
            done = False
        assert browser.navigations == navigations, f"the job page was reloaded while waiting for the bar to {what}"
        if done:
            return
        assert cluster.process.poll() is None, f"the qcluster stopped:\n{cluster.output()}"
        browser.page.wait_for_timeout(250)
    pytest.fail(f"the job's bar did not {what}; qcluster:\n{cluster.output()}")
