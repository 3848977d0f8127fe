from django.apps import AppConfig


class JobsAppConfig(AppConfig):
    name = "jobs_app"
    verbose_name = "Generation"

    def ready(self):
        from templates_app.usage import register_version_usage

        from . import checks  # noqa: F401 - registers the system checks
        from .template_usage import jobs_using_block

        register_version_usage(jobs_using_block)
