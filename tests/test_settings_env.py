"""Settings a deployer can trust: DEBUG off unless turned on, invalid SYNTHGOV_* values refused by
a system check with one line naming the variable, `check --deploy` clean with the documented
variables, and the README's table naming every variable the settings read."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from synthgov.settings import env

README = settings.BASE_DIR / "README.md"


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if name not in env.VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "synthgov.settings.base", **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_is_off_unless_turned_on():
    shown = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")

    assert shown.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SYNTHGOV_PII_ACTION", "rejct", "SYNTHGOV_PII_ACTION must be one of flag, reject; got 'rejct'."),
        ("SYNTHGOV_GENERATION_BATCH_SIZE", "lots", "SYNTHGOV_GENERATION_BATCH_SIZE must be a whole number"),
        ("SYNTHGOV_MAX_TEXT_CHARS", "0", "SYNTHGOV_MAX_TEXT_CHARS must be at least 1; got 0."),
        ("SYNTHGOV_FOUR_EYES", "maybe", "SYNTHGOV_FOUR_EYES must be 1 or 0"),
    ],
)
def test_an_invalid_value_is_refused_by_the_system_check_naming_the_variable(variable, value, message):
    result = manage("check", **{variable: value})

    assert result.returncode != 0
    assert "synthgov.E001" in result.stderr
    assert message in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-" + "x7Qp" * 10,
        ALLOWED_HOSTS="synthgov.example.org",
        SYNTHGOV_HTTPS="1",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_readme_table_lists_every_environment_variable_the_settings_read():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", README.read_text(), flags=re.M))

    assert env.VARIABLES
    assert set(env.VARIABLES) - documented == set()
