"""`make run`'s setup part (migrate + demo data + admin account) is safe to run twice."""

import os
import re
import sqlite3
import subprocess
import sys

from django.conf import settings

COUNTED_TABLES = [
    "templates_app_chapter",
    "templates_app_prompttemplate",
    "templates_app_templateversion",
    "jobs_app_generationjob",
    "qa_app_qapair",
    "collections_app_collection",
    "auth_user",
]


# What a newcomer does to the demo between two `make run`s, through the services.
USER_CHANGES = """
from django.contrib.auth import get_user_model
from collections_app.models import Collection
from qa_app.models import QAPair
from qa_app.services import qa_pair_approve, qa_pair_edit
from templates_app.models import TemplateVersion
from templates_app.services import template_version_archive, template_version_publish

users = get_user_model().objects
approver, reviewer = users.get(username="demo-approver"), users.get(username="demo-reviewer")
draft = TemplateVersion.objects.get(template__key="addition-word-problems", version=2)
template_version_publish(version=draft, acting_user=approver)
template_version_archive(
    version=TemplateVersion.objects.get(template__key="multiplication-facts", version=1), acting_user=approver
)
first, second = QAPair.objects.order_by("id")[:2]
qa_pair_approve(pair=first, acting_user=reviewer)
qa_pair_edit(pair=second, acting_user=reviewer, answer="an edited answer")
QAPair.objects.filter(pk__in=QAPair.objects.order_by("-id").values("pk")[:5]).delete()
Collection.objects.filter(slug="demo-training").delete()
"""


def manage(var_dir, *args: str, debug: bool = True) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "synthgov.settings.base",
        "SYNTHGOV_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'synthgov.sqlite3'}",
        "DEBUG": "1" if debug else "0",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def bootstrap(var_dir) -> str:
    return manage(var_dir, "bootstrap")


def row_counts(database) -> dict:
    with sqlite3.connect(database) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in COUNTED_TABLES}


def test_bootstrap_twice_succeeds_without_duplicating_demo_data(tmp_path):
    first = bootstrap(tmp_path)
    counts_after_first = row_counts(tmp_path / "synthgov.sqlite3")
    second = bootstrap(tmp_path)

    assert row_counts(tmp_path / "synthgov.sqlite3") == counts_after_first
    assert counts_after_first["qa_app_qapair"] == 200
    password = re.search(r"username 'admin', password '([^']+)'", first).group(1)
    assert f"password '{password}'" in second


def test_bootstrap_starts_whatever_a_user_did_to_the_demo_since(tmp_path):
    bootstrap(tmp_path)
    manage(tmp_path, "shell", "-c", USER_CHANGES)

    output = bootstrap(tmp_path)

    database = tmp_path / "synthgov.sqlite3"
    with sqlite3.connect(database) as db:
        statuses = dict(
            db.execute(
                "SELECT t.key || ' v' || v.version, v.status FROM templates_app_templateversion v "
                "JOIN templates_app_prompttemplate t ON t.id = v.template_id"
            ).fetchall()
        )
        pairs = db.execute("SELECT COUNT(*) FROM qa_app_qapair").fetchone()[0]
        edited = db.execute("SELECT COUNT(*) FROM qa_app_qapair WHERE answer = 'an edited answer'").fetchone()[0]
        collections = db.execute("SELECT COUNT(*) FROM collections_app_collection").fetchone()[0]
    assert statuses["addition-word-problems v1"] == "archived"
    assert statuses["addition-word-problems v2"] == "approved"
    assert statuses["multiplication-facts v1"] == "archived"
    assert len(statuses) == 4
    assert (pairs, edited) == (195, 1)
    assert collections == 1
    assert "new templates: none (all there already)" in output


def test_bootstrap_creates_one_demo_user_per_role_sharing_one_kept_password_and_says_how_to_add_roles(tmp_path):
    first = bootstrap(tmp_path)
    second = bootstrap(tmp_path)

    password = (tmp_path / "demo-password.txt").read_text().strip()
    assert f"password '{password}'" in first
    assert f"password '{password}'" in second
    for username in ("demo-author", "demo-approver", "demo-operator", "demo-reviewer", "demo-curator"):
        assert username in first
    assert ".venv/bin/python manage.py grant_role USERNAME 'Reviewers'" in first
    check = (
        "from django.contrib.auth import authenticate; "
        f"users = [authenticate(username=name, password={password!r}) for name in "
        "('demo-author', 'demo-approver', 'demo-operator', 'demo-reviewer', 'demo-curator')]; "
        "print([(u.username, u.is_staff, [g.name for g in u.groups.all()]) for u in users])"
    )
    assert manage(tmp_path, "shell", "-c", check).strip().splitlines()[-1] == (
        "[('demo-author', True, ['Template authors']), ('demo-approver', True, ['Approvers']), "
        "('demo-operator', True, ['Operators']), ('demo-reviewer', True, ['Reviewers']), "
        "('demo-curator', True, ['Curators'])]"
    )


def test_bootstrap_with_debug_off_creates_no_demo_users(tmp_path):
    output = manage(tmp_path, "bootstrap", debug=False)

    assert "Demo data and demo users skipped" in output
    assert not (tmp_path / "demo-password.txt").exists()
    with sqlite3.connect(tmp_path / "synthgov.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM auth_user WHERE username LIKE 'demo-%'").fetchone()[0] == 0
