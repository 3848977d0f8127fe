from django.db.models import QuerySet

from .models import GenerationJob


def jobs_using(version) -> QuerySet:
    """The generation jobs that ran from this version, newest first."""
    return GenerationJob.objects.filter(template_version=version).select_related("created_by").order_by("-created_at")
