"""Browser tests: Debian's Chromium driven by Playwright against a live server and a real qcluster.

Chromium is never downloaded (no `playwright install`): the system's /usr/bin/chromium is used.
Without it the tests are skipped locally and fail in CI (CI=true), where .ci/run installs it.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connections

from synthgov.roles import ensure_roles
from tests.conftest import join_tenants

from .pages import Browser, Credentials

CHROMIUM = os.environ.get("SYNTHGOV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"
# Small batches so that the bar visibly moves; the whole job still takes a few seconds.
CLUSTER_ENV = {"SYNTHGOV_GENERATION_BATCH_SIZE": "10"}


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Chromium)")
    pytest.skip(reason)


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
        # Members of the suite's tenants (acme, globex), as the role fixtures of the other tests.
        join_tenants(user)
        users[name] = Credentials(username, password, user)
    return users


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
            # The test's queries ran while Playwright's loop ran: asgiref kept their connection
            # apart from the thread's, and only closing it here lets the test database be dropped.
            connections.close_all()
            context.close()
            chromium.close()
    browser.assert_no_errors()


@pytest.fixture
def job_cluster(start_qcluster):
    """Start a cluster when the test is ready for the job to run (so the page sees it move)."""

    def start():
        return start_qcluster(**CLUSTER_ENV)

    return start
