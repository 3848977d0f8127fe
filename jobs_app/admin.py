from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.forms import Script
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from qa_app.models import QAPair
from synthgov.admin_tools import (
    ObjectActionsMixin,
    ProgressJSONMixin,
    ReadableJSONMixin,
    ReadOnlyHistoryAdmin,
    came_from,
    polled_progress_bar,
    related_preview,
    render_action_form,
    reported_to,
    shown_field,
)
from templates_app.models import TemplateVersion
from templates_app.selectors import coverage_summary, record_count_coverage_warning
from tenants_app.admin_scoping import TenantScopedAdminMixin
from tenants_app.forms import offer_tenants, tenant_choice_field

from . import services
from .generators import GENERATORS
from .generators.base import JUDGE_PROFILE_KEY
from .generators.template import TemplateGenerator
from .models import GenerationJob, GeneratorProfile, JobShard, TargetSurface


class JobTriggerForm(forms.Form):
    template_version = forms.ModelChoiceField(
        queryset=TemplateVersion.objects.exclude(status=TemplateVersion.Status.ARCHIVED).select_related("template"),
        help_text="Production jobs need an approved version; a draft can run a non-production preview.",
    )
    record_count = forms.IntegerField(
        min_value=1,
        initial=100,
        help_text='<span id="synthgov-coverage" data-url="{url}">{text}</span>',
    )
    seed = forms.IntegerField(initial=0)
    locale = forms.CharField(initial="en", max_length=35)
    tenant_id = tenant_choice_field(help_text="The tenant whose pairs the job makes (one of yours).")
    target_surface = forms.ChoiceField(choices=TargetSurface.choices, initial=TargetSurface.TRAINING)
    production = forms.BooleanField(required=False, initial=True)
    decisions_needed = forms.TypedChoiceField(
        choices=[("", "The template's setting"), (1, "1 (one reviewer decides)"), (2, "2 (two blind reviewers)")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Review decisions that must agree on each pair of the job.",
    )
    idempotency_key = forms.CharField(
        required=False, max_length=200, help_text="Optional: the same key and request return the same job."
    )
    generator = forms.ChoiceField(
        choices=[(name, name) for name in GENERATORS], required=False, initial=TemplateGenerator.name
    )
    profile = forms.ModelChoiceField(
        queryset=GeneratorProfile.objects.all(),
        to_field_name="name",
        required=False,
        help_text="The server and model of the openai generator; the template generator takes none.",
    )
    judge_profile = forms.ModelChoiceField(
        queryset=GeneratorProfile.objects.all(),
        to_field_name="name",
        required=False,
        help_text="Optional: a model scores each pair against the version's judge rubric (shown as model-made).",
    )

    class Media:
        js = ["synthgov/trigger_coverage.js"]

    def __init__(self, *args, coverage_url: str, user, coverage_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        offer_tenants(self.fields["tenant_id"], user)
        field = self.fields["record_count"]
        field.help_text = format_html(field.help_text, url=coverage_url, text=coverage_text)

    def clean(self):
        data = super().clean()
        data["generator"] = data.get("generator") or TemplateGenerator.name
        profile = data.pop("profile", None)
        judge_profile = data.pop("judge_profile", None)
        data["generator_config"] = {"profile": profile.name} if profile else {}
        if judge_profile:
            data["generator_config"][JUDGE_PROFILE_KEY] = judge_profile.name
        return data


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def progress_text(job: GenerationJob) -> str:
    pace = ""
    if job.status == GenerationJob.Status.RUNNING and job.records_per_second:
        pace = f" · {job.records_per_second:,.0f} rec/s · ETA {timedelta(seconds=round(job.eta_seconds))}"
    return f"{job.progress_percent}% · {job.processed_records:,}/{job.record_count:,}{pace}"


def progress_bar(job: GenerationJob) -> str:
    """The bar; while the job runs, job_progress.js polls its JSON to move it in place."""
    url = None if job.is_finished else reverse("admin:jobs_app_generationjob_progress", args=[job.pk])
    return polled_progress_bar(
        done=job.processed_records, total=job.record_count, text=progress_text(job), progress_url=url
    )


RESUMABLE = (GenerationJob.Status.FAILED, GenerationJob.Status.CANCELLED)


def status_badge(job: GenerationJob) -> str:
    return format_html('<span class="synthgov-status-{}">{}</span>', job.status, job.get_status_display())


JOB_PAGE_FIELDS = [
    "status",
    "accepted_records",
    "rejected_records",
    "duplicate_records",
    "error",
    "started_at",
    "heartbeat_at",
    "finished_at",
]
SHARD_ROW_FIELDS = ["status", "processed_records", "attempts", "heartbeat_at", "finished_at"]


def job_progress(job: GenerationJob) -> dict:
    """What job_progress.js needs to update a job's bar, counts and shard rows in place."""
    return {
        "id": job.pk,
        "status": job.status,
        "finished": job.is_finished,
        "processed": job.processed_records,
        "total": job.record_count,
        "percent": job.progress_percent,
        "records_per_second": job.records_per_second,
        "eta_seconds": job.eta_seconds,
        "text": progress_text(job),
        "status_badge": status_badge(job),
        "counts": {name: getattr(job, name) for name in ("accepted_records", "rejected_records", "duplicate_records")},
        "fields": {name: shown_field(job, name) for name in JOB_PAGE_FIELDS},
        "shards": [
            {
                "index": shown_field(shard, "index"),
                "fields": {name: shown_field(shard, name) for name in SHARD_ROW_FIELDS},
            }
            for shard in job.shards.all()
        ],
    }


class JobShardInline(admin.TabularInline):
    model = JobShard
    fields = ["index", "start", "stop", "status", "processed_records", "attempts", "heartbeat_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GenerationJob)
class GenerationJobAdmin(
    TenantScopedAdminMixin, ReadableJSONMixin, ObjectActionsMixin, ProgressJSONMixin, ReadOnlyHistoryAdmin
):
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
    readonly_fields = ["progress", "pairs_link", "rejected_link", "duplicates_link", "concurrency_over_time"]
    actions = ["cancel_selected"]
    object_actions = {"cancel": "Cancel job", "resume": "Resume job"}
    inlines = [JobShardInline]
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
                    "pairs_link",
                    "rejected_link",
                    "duplicates_link",
                    "error",
                    "concurrency_over_time",
                    "output_manifest",
                ]
            },
        ),
        (
            "Request",
            {"fields": list(GenerationJob.REQUEST_FIELDS)},
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
        js = [Script("synthgov/job_progress.js", defer=True)]

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    @admin.display(description="status", ordering="status")
    def status_badge(self, job):
        return status_badge(job)

    @admin.display(description="progress")
    def progress(self, job):
        return progress_bar(job)

    @admin.display(description="QA pairs")
    def pairs_link(self, job):
        url = reverse("admin:qa_app_qapair_changelist") + f"?job__id__exact={job.pk}"
        pending = url + f"&review_status__exact={QAPair.ReviewStatus.PENDING}"
        return format_html(
            '<a href="{}">{} QA pair(s)</a> · <a href="{}">the pending ones, to review</a>',
            url,
            f"{job.accepted_records:,}",
            pending,
        )

    @admin.display(description="rejected artifacts")
    def rejected_link(self, job):
        url = reverse("admin:jobs_app_rejectedartifact_changelist") + f"?job__id__exact={job.pk}"
        return format_html(
            '<a href="{}" data-job-count="rejected_records" data-suffix=" rejected artifact(s)">'
            "{} rejected artifact(s)</a>{}",
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

    @admin.display(description="duplicates")
    def duplicates_link(self, job):
        url = reverse("admin:jobs_app_duplicaterecord_changelist") + f"?job__id__exact={job.pk}"
        return format_html(
            '<a href="{}" data-job-count="duplicate_records" data-suffix=" duplicate(s)">{} duplicate(s)</a>',
            url,
            job.duplicate_records,
        )

    @admin.display(description="concurrency over time")
    def concurrency_over_time(self, job):
        """The manifest's adaptive-concurrency series as a small table (backends that adapt; finished jobs)."""
        concurrency = (job.output_manifest or {}).get("concurrency")
        if not concurrency:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{point['t']:.1f} s", point["concurrency"], _change_reason(point)) for point in concurrency["series"]),
        )
        dropped = concurrency.get("series_dropped")
        return format_html(
            "{} throttled (429), {} other fault(s); between {} and {} at once{}"
            '<table class="concurrency-series"><thead><tr><th>time</th><th>concurrency</th><th>why</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            concurrency["throttled"],
            concurrency["errors"],
            concurrency["minimum"],
            concurrency["maximum"],
            f" ({dropped} change(s) in the middle not kept)" if dropped else "",
            rows,
        )

    def object_action_allowed(self, request, obj, name):
        if name == "resume":
            return obj.status in RESUMABLE and request.user.has_perm(services.RESUME_PERMISSION)
        return not obj.is_finished and request.user.has_perm(services.CANCEL_PERMISSION)

    def cancel(self, request, job):
        services.job_cancel(job=job, acting_user=request.user)
        self.message_user(request, f"Cancelled job {job.pk}; what it produced is kept.", messages.SUCCESS)

    def resume(self, request, job):
        job = services.job_resume(job=job, acting_user=request.user)
        remaining = job.record_count - job.processed_records
        self.message_user(
            request, f"Resumed job {job.pk}: {remaining:,} record(s) still to generate.", messages.SUCCESS
        )

    def has_cancel_permission(self, request):
        return request.user.has_perm(services.CANCEL_PERMISSION)

    @admin.action(description="Cancel selected jobs", permissions=["cancel"])
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
            path(
                "trigger/coverage/",
                self.admin_site.admin_view(self.trigger_coverage_view),
                name="jobs_app_generationjob_trigger_coverage",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if request.user.has_perm(services.TRIGGER_PERMISSION):
            extra_context = {**(extra_context or {}), "trigger_url": reverse("admin:jobs_app_generationjob_trigger")}
        return super().changelist_view(request, extra_context)

    def trigger_coverage_view(self, request):
        """The trigger form's hint: combinations of the chosen version, and a warning for the typed record count."""
        version = TemplateVersion.objects.filter(pk=_int_or_none(request.GET.get("template_version"))).first()
        if version is None or not request.user.has_perm(services.TRIGGER_PERMISSION):
            return JsonResponse({"detail": "No such template version."}, status=404)
        record_count = _int_or_none(request.GET.get("record_count"))
        warning = record_count_coverage_warning(version=version, record_count=record_count) if record_count else None
        return JsonResponse({**coverage_summary(version=version), "warning": warning})

    def progress_json(self, job):
        return job_progress(job)

    def trigger_view(self, request):
        if not request.user.has_perm(services.TRIGGER_PERMISSION):
            # Back where the user came from, with the reason, rather than a bare 403 page.
            self.message_user(request, services.TRIGGER_PERMISSION_MISSING, messages.ERROR)
            return HttpResponseRedirect(came_from(request, default=reverse("admin:jobs_app_generationjob_changelist")))
        chosen = TemplateVersion.objects.filter(pk=_int_or_none(request.GET.get("template_version"))).first()
        form = JobTriggerForm(
            request.POST or None,
            initial={"template_version": chosen.pk if chosen else None},
            coverage_url=reverse("admin:jobs_app_generationjob_trigger_coverage"),
            coverage_text=coverage_summary(version=chosen)["text"] if chosen else "",
            user=request.user,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with reported_to(request, self, form=form):
                job, created = services.job_trigger(request=services.JobRequest(**data), acting_user=request.user)
                verb = "Queued" if created else "Found existing"
                self.message_user(request, f"{verb} job {job.pk} for {job.template_version}.", messages.SUCCESS)
                warning = record_count_coverage_warning(version=job.template_version, record_count=job.record_count)
                if created and warning:
                    self.message_user(request, warning, messages.WARNING)
                return HttpResponseRedirect(self.change_url(job))
        return render_action_form(self, request, title="Trigger a generation job", form=form, submit="Trigger job")


def _change_reason(point: dict) -> str:
    reason = CHANGE_REASONS.get(point["reason"], point["reason"])
    if point.get("shard") is not None:
        reason += f" (shard {point['shard']})"
    return reason + (f"; all senders paused {point['pause_s']:g} s (Retry-After)" if point.get("pause_s") else "")


CHANGE_REASONS = {
    "start": "start",
    "increase": "fast replies: one more",
    "throttled": "429: halved",
    "server_error": "server error: halved",
    "timeout": "timeout: halved",
    "connection": "connection failed: halved",
}


# The outcome and generator-profile pages register themselves.
from . import outcome_admin, profile_admin  # noqa: E402, F401
