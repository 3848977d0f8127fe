from django.apps import AppConfig


class JobsAppConfig(AppConfig):
    name = "jobs_app"
    verbose_name = "Generation"

    def ready(self):
        from synthgov.health import register_readiness_check
        from synthgov.metrics import register_collector
        from templates_app.usage import register_version_usage

        from . import checks  # noqa: F401 - registers the system checks
        from .health import StaleShards
        from .metrics import job_metrics
        from .template_usage import jobs_using_block

        register_version_usage(jobs_using_block)
        register_readiness_check("stale_shards", StaleShards)
        register_collector("jobs", job_metrics)
