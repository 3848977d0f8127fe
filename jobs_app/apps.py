from django.apps import AppConfig


class JobsAppConfig(AppConfig):
    name = "jobs_app"
    verbose_name = "Generation"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
