"""The jobs that ran from a template version, on the version's admin page (registered with
templates_app.usage at start-up, as templates_app imports nothing from jobs_app)."""

from django.urls import reverse
from django.utils.html import format_html

from synthgov.admin_tools import related_preview

from .selectors import jobs_using

RECENT_JOBS_SHOWN = 20


def _job_link(job):
    return format_html('<a href="{}">#{}</a>', reverse("admin:jobs_app_generationjob_change", args=[job.pk]), job.pk)


def jobs_using_block(version) -> str:
    jobs = jobs_using(version)
    all_url = reverse("admin:jobs_app_generationjob_changelist") + f"?template_version__id__exact={version.pk}"
    total = jobs.count()
    if not total:
        return ""
    return format_html(
        '<p><a href="{}">All {} job(s) using this version</a></p>{}',
        all_url,
        total,
        related_preview(
            jobs,
            columns=[
                ("job", _job_link),
                (
                    "status",
                    lambda job: format_html(
                        '<span class="synthgov-status-{}">{}</span>', job.status, job.get_status_display()
                    ),
                ),
                ("records", lambda job: job.record_count),
                ("accepted", lambda job: job.accepted_records),
                ("rejected", lambda job: job.rejected_records),
                ("duplicates", lambda job: job.duplicate_records),
                ("production", lambda job: "yes" if job.production else "no"),
                ("by", lambda job: job.created_by or "—"),
                ("created", lambda job: job.created_at.strftime("%Y-%m-%d %H:%M")),
            ],
            more_url=all_url,
            limit=RECENT_JOBS_SHOWN,
        ),
    )
