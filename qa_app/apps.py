from django.apps import AppConfig


class QaAppConfig(AppConfig):
    name = "qa_app"
    verbose_name = "Review"
