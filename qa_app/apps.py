from django.apps import AppConfig


class QaAppConfig(AppConfig):
    name = "qa_app"
    verbose_name = "Review"

    def ready(self):
        from synthgov.metrics import register_collector

        from .metrics import review_metrics

        register_collector("review", review_metrics)
