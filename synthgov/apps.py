from django.apps import AppConfig


class SynthgovConfig(AppConfig):
    name = "synthgov"
    verbose_name = "synthgov"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
