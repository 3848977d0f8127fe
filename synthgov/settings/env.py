"""Settings from environment variables, each read once through these functions.

Reading never fails: a value that cannot be used keeps the default and is recorded in
`PROBLEMS`, which the system check `synthgov.E001` (synthgov/checks.py) reports, so every
management command (migrate, qcluster, runserver, check --deploy) refuses to start with one
line naming the variable. `VARIABLES` lists every variable read, with its default, for the
README's table (tests/test_settings_env.py keeps the two in step).
"""

import os

PROBLEMS: list[str] = []
VARIABLES: dict[str, str] = {}

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _raw(name: str, shown_default: str) -> str | None:
    VARIABLES[name] = shown_default
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env_str(name: str, default: str = "", *, shown_default: str | None = None) -> str:
    raw = _raw(name, default if shown_default is None else shown_default)
    return default if raw is None else raw


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _raw(name, str(default))
    if raw is None:
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        PROBLEMS.append(f"{name} must be a whole number; got {raw!r}.")
        return default
    if minimum is not None and value < minimum:
        PROBLEMS.append(f"{name} must be at least {minimum}; got {value}.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name, "1" if default else "0")
    if raw is None:
        return default
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    PROBLEMS.append(f"{name} must be 1 or 0 (or true/false, yes/no, on/off); got {raw!r}.")
    return default


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _raw(name, default)
    if raw is None:
        return default
    if raw not in choices:
        PROBLEMS.append(f"{name} must be one of {', '.join(choices)}; got {raw!r}.")
        return default
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name, ",".join(default))
    return default if raw is None else [item.strip() for item in raw.split(",") if item.strip()]
