from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from synthgov.admin_tools import (
    LargeTablePaginator,
    ObjectActionsMixin,
    ReadOnlyAdmin,
    related_preview,
    render_action_form,
    reported_to,
)
from templates_app.models import TemplateVersion

from . import services
from .models import GenerationJob, RejectedArtifact, TargetSurface


class JobTriggerForm(forms.Form):
    template_version = forms.ModelChoiceField(
        queryset=TemplateVersion.objects.exclude(status=TemplateVersion.Status.ARCHIVED).select_related("template"),
        help_text="Production jobs need an approved version; a draft can run a non-production preview.",
    )
    record_count = forms.IntegerField(min_value=1, initial=100)
    seed = forms.IntegerField(initial=0)
    locale = forms.CharField(initial="en", max_length=35)
    tenant_id = forms.CharField(initial="default", max_length=100)
    target_surface = forms.ChoiceField(choices=TargetSurface.choices, initial=TargetSurface.TRAINING)
    production = forms.BooleanField(required=False, initial=True)
    idempotency_key = forms.CharField(
        required=False, max_length=200, help_text="Optional: the same key and request return the same job."
    )


def progress_bar(job: GenerationJob) -> str:
    return format_html(
        '<span class="synthgov-progress" {}><progress value="{}" max="{}"></progress> {}% · {}/{}</span>',
        "data-job-running" if not job.is_finished else "",
        job.processed_records,
        job.record_count,
        job.progress_percent,
        job.processed_records,
        job.record_count,
    )


@admin.register(GenerationJob)
class GenerationJobAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "template_version",
        "tenant_id",
        "status_badge",
        "progress",
        "accepted_records",
        "rejected_records",
        "duplicate_records",
        "production",
        "created_at",
    ]
    list_filter = ["status", "production", "target_surface", "generator"]
    search_fields = ["tenant_id", "idempotency_key", "template_version__template__key"]
    list_select_related = ["template_version__template"]
    readonly_fields = ["progress", "rejected_link"]
    actions = ["cancel_selected"]
    object_actions = {"cancel": "Cancel job"}
    fieldsets = [
        (
            "Result",
            {
                "fields": [
                    "status",
                    "progress",
                    "accepted_records",
                    "rejected_records",
                    "duplicate_records",
                    "rejected_link",
                    "error",
                    "output_manifest",
                ]
            },
        ),
        (
            "Request",
            {
                "fields": [
                    "template_version",
                    "chapter_key",
                    "subchapter_key",
                    "tenant_id",
                    "locale",
                    "record_count",
                    "target_surface",
                    "seed",
                    "generator",
                    "generator_config",
                    "production",
                    "idempotency_key",
                ]
            },
        ),
        (
            "Lineage and times",
            {
                "fields": [
                    "lineage",
                    "created_by",
                    "cancelled_by",
                    "created_at",
                    "started_at",
                    "heartbeat_at",
                    "finished_at",
                ]
            },
        ),
    ]

    class Media:
        js = ["synthgov/job_progress.js"]

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    @admin.display(description="status", ordering="status")
    def status_badge(self, job):
        return format_html('<span class="synthgov-status-{}">{}</span>', job.status, job.get_status_display())

    @admin.display(description="progress")
    def progress(self, job):
        return progress_bar(job)

    @admin.display(description="rejected artifacts")
    def rejected_link(self, job):
        url = reverse("admin:jobs_app_rejectedartifact_changelist") + f"?job__id__exact={job.pk}"
        return format_html(
            '<a href="{}">{} rejected artifact(s)</a>{}',
            url,
            job.rejected_records,
            related_preview(
                job.rejected_artifacts.order_by("record_index"),
                columns=[
                    ("record", lambda artifact: artifact.record_index),
                    ("reasons", lambda artifact: "; ".join(reason["message"] for reason in artifact.reasons)),
                ],
                more_url=url,
            )
            if job.rejected_records
            else "",
        )

    def object_action_allowed(self, request, obj, name):
        return not obj.is_finished and request.user.has_perm("jobs_app.cancel_generationjob")

    def cancel(self, request, job):
        services.job_cancel(job=job, acting_user=request.user)
        self.message_user(request, f"Cancelled job {job.pk}; what it produced is kept.", messages.SUCCESS)

    @admin.action(description="Cancel selected jobs")
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for job in queryset:
            with reported_to(request, self):
                services.job_cancel(job=job, acting_user=request.user)
                cancelled += 1
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} job(s).", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "trigger/",
                self.admin_site.admin_view(self.trigger_view),
                name="jobs_app_generationjob_trigger",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "trigger_url": reverse("admin:jobs_app_generationjob_trigger")}
        return super().changelist_view(request, extra_context)

    def trigger_view(self, request):
        if not request.user.has_perm(services.TRIGGER_PERMISSION):
            raise PermissionDenied
        form = JobTriggerForm(request.POST or None, initial={"template_version": request.GET.get("template_version")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with reported_to(request, self):
                job, created = services.job_trigger(request=services.JobRequest(**data), acting_user=request.user)
                verb = "Queued" if created else "Found existing"
                self.message_user(request, f"{verb} job {job.pk} for {job.template_version}.", messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(job))
        return render_action_form(self, request, title="Trigger a generation job", form=form, submit="Trigger job")


@admin.register(RejectedArtifact)
class RejectedArtifactAdmin(ReadOnlyAdmin):
    paginator = LargeTablePaginator
    list_display = ["job", "record_index", "reason_codes", "created_at"]
    list_filter = ["job"]
    list_select_related = ["job"]
    readonly_fields = ["job", "record_index", "payload", "reasons", "created_at"]

    @admin.display(description="reasons")
    def reason_codes(self, artifact):
        return ", ".join(sorted({reason["code"] for reason in artifact.reasons}))
