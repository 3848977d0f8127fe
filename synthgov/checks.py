"""System checks of the settings a deployer sets (see synthgov/settings/env.py and the README's table)."""

from django.core.checks import Error, register

from .settings.env import PROBLEMS

ENVIRONMENT_HINT = "See the README's table of environment variables."


@register("synthgov")
def check_environment(app_configs=None, **kwargs) -> list[Error]:
    return [Error(problem, hint=ENVIRONMENT_HINT, id="synthgov.E001") for problem in PROBLEMS]
