"""Imports in the admin: an upload page, the run with a progress bar that moves in place
(static/synthgov/job_progress.js polls the run's JSON), its pairs and line issues, and Cancel."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms import Script
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from synthgov.admin_tools import (
    ObjectActionsMixin,
    ProgressJSONMixin,
    ReadableJSONMixin,
    ReadOnlyAdmin,
    ReadOnlyHistoryAdmin,
    polled_progress_bar,
    render_action_form,
    reported_to,
    selected_action_submitted,
    shown_field,
)
from tenants_app.admin_scoping import TenantScopedAdminMixin
from tenants_app.forms import offer_tenants, tenant_choice_field

from .imports.shapes import SHAPES
from .models import ImportLineIssue, ImportRun
from .services import imports as services


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="JSON Lines (optionally .gz), CSV or Parquet.")
    tenant_id = tenant_choice_field(help_text="The tenant the imported pairs belong to (one of yours).")
    file_format = forms.ChoiceField(
        choices=[("", "Detect from the file"), *ImportRun.Format.choices], required=False, label="Format"
    )
    shape = forms.ChoiceField(
        choices=[("", "Detect from the first records"), *[(s, s) for s in SHAPES]], required=False
    )
    mapping = forms.CharField(
        required=False,
        help_text='For shape "mapping": e.g. {"question": "prompt", "answer": "completion", "context": "input"}',
    )
    locale = forms.CharField(max_length=35, required=False, help_text="Empty: detected for each line.")
    chapter_key = forms.CharField(max_length=100, required=False, label="Chapter")
    subchapter_key = forms.CharField(max_length=100, required=False, label="Subchapter")
    chapter_field = forms.CharField(
        max_length=100, required=False, help_text="Take each pair's chapter from this field."
    )
    idempotency_key = forms.CharField(max_length=200, required=False)
    approve = forms.BooleanField(
        required=False, help_text="Approve the pairs as they are imported (needs qa_app.approve_on_import)."
    )
    approval_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offer_tenants(self.fields["tenant_id"], user)

    def clean_mapping(self):
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"Not valid JSON ({error}).") from error


def progress_text(run: ImportRun) -> str:
    total = f"/{run.total_lines:,}" if run.total_lines else ""
    return f"{run.progress_percent}% · {run.lines_done:,}{total} lines"


def progress_bar(run: ImportRun) -> str:
    url = None if run.finished else reverse("admin:qa_app_importrun_progress", args=[run.pk])
    total = max(run.total_lines, run.lines_done, 1)
    return polled_progress_bar(done=run.lines_done, total=total, text=progress_text(run), progress_url=url)


PAGE_FIELDS = ["status", "imported", "duplicates", "errors", "lines_done", "error", "started_at", "finished_at"]


def run_progress(run: ImportRun) -> dict:
    """The JSON job_progress.js reads (the keys a job's progress has; an import has no shards)."""
    return {
        "id": run.pk,
        "status": run.status,
        "finished": run.finished,
        "processed": run.lines_done,
        "total": max(run.total_lines, run.lines_done, 1),
        "percent": run.progress_percent,
        "text": progress_text(run),
        "status_badge": format_html('<span class="synthgov-status-{}">{}</span>', run.status, run.get_status_display()),
        "counts": {name: getattr(run, name) for name in ("imported", "duplicates", "errors")},
        "fields": {name: shown_field(run, name) for name in PAGE_FIELDS},
        "shards": [],
    }


@admin.register(ImportRun)
class ImportRunAdmin(
    TenantScopedAdminMixin, ReadableJSONMixin, ObjectActionsMixin, ProgressJSONMixin, ReadOnlyHistoryAdmin
):
    list_display = [
        "id",
        "file_name",
        "tenant_id",
        "status",
        "progress",
        "imported",
        "duplicates",
        "errors",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "file_format", "shape"]
    search_fields = ["file_name", "file_sha256", "tenant_id", "idempotency_key"]
    list_select_related = ["created_by"]
    object_actions = {"cancel": "Cancel import"}
    fieldsets = [
        (
            "Outcome",
            {
                "fields": [
                    "status",
                    "progress",
                    "imported",
                    "duplicates",
                    "errors",
                    "lines_done",
                    "outcome_links",
                    "error",
                ]
            },
        ),
        (
            "File",
            {"fields": ["file_name", "file_sha256", "file_bytes", "file_format", "shape", "mapping", "total_lines"]},
        ),
        (
            "Pairs",
            {
                "fields": [
                    "tenant_id",
                    "locale",
                    "chapter_key",
                    "subchapter_key",
                    "chapter_field",
                    "idempotency_key",
                    "approve",
                    "approval_reason",
                ]
            },
        ),
        ("Who and when", {"fields": ["created_by", "created_at", "started_at", "heartbeat_at", "finished_at"]}),
    ]

    class Media:
        js = [Script("synthgov/job_progress.js", defer=True)]

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(services.IMPORT_PERMISSION)

    @admin.display(description="progress")
    def progress(self, run):
        return progress_bar(run)

    @admin.display(description="pairs and lines")
    def outcome_links(self, run):
        pairs = reverse("admin:qa_app_qapair_changelist") + f"?import_run={run.pk}"
        issues = reverse("admin:qa_app_importlineissue_changelist") + f"?run__id__exact={run.pk}"
        return format_html(
            '<a href="{}">{} imported pair(s)</a> · <a href="{}">{} duplicate(s) and line error(s)</a>',
            pairs,
            f"{run.imported:,}",
            issues,
            f"{run.duplicates + run.errors:,}",
        )

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(
            request.POST if selected_action_submitted(request) else None,
            request.FILES if selected_action_submitted(request) else None,
            user=request.user,
        )
        if not request.user.has_perm(services.APPROVE_PERMISSION):
            # Shown only to those who may approve on import (approvers).
            del form.fields["approve"], form.fields["approval_reason"]
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("file")
            with reported_to(request, self, form=form):
                run, created = services.import_run_create(
                    request=services.ImportRequest(**data, file_name=upload.name),
                    acting_user=request.user,
                    upload=upload,
                )
                verb = "Queued" if created else "Found the earlier"
                self.message_user(request, f"{verb} import {run.pk} of {run.file_name}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:qa_app_importrun_change", args=[run.pk]))
        return render_action_form(self, request, title="Import a file of QA pairs", form=form, submit="Import")

    def object_action_allowed(self, request, obj, name):
        return not obj.finished and request.user.has_perm(services.CANCEL_PERMISSION)

    def cancel(self, request, run):
        services.import_run_cancel(run=run, acting_user=request.user)
        self.message_user(request, f"Cancelled import {run.pk}; the pairs it stored are kept.", messages.SUCCESS)

    def progress_json(self, run):
        return run_progress(run)


@admin.register(ImportLineIssue)
class ImportLineIssueAdmin(TenantScopedAdminMixin, ReadOnlyAdmin):
    tenant_field = "run__tenant_id"
    list_display = ["run", "line", "kind", "reason", "pair_link"]
    list_filter = ["kind"]
    list_select_related = ["run"]
    search_fields = ["reason", "raw"]
    fields = ["run", "line", "kind", "reason", "raw", "pair_link"]
    readonly_fields = fields

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "run__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="pair")
    def pair_link(self, issue):
        if not issue.pair_id:
            return "-"
        return format_html(
            '<a href="{}">QA pair #{}</a>', reverse("admin:qa_app_qapair_change", args=[issue.pair_id]), issue.pair_id
        )
