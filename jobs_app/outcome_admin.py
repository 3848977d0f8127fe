"""What a job left besides its pairs: rejected artifacts (promotable to review) and duplicate records."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from synthgov.admin_tools import (
    LargeTablePaginator,
    ObjectActionsMixin,
    ReadableJSONMixin,
    ReadOnlyAdmin,
    render_action_form,
    selected_action_submitted,
)
from synthgov.errors import DomainError
from tenants_app.admin_scoping import TenantScopedAdminMixin, TenantScopedRelatedFilter

from . import services
from .models import DuplicateRecord, RejectedArtifact


class PromoteArtifactForm(forms.Form):
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 100}))
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 8, "cols": 100}))
    context = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 100}), required=False)


def _pair_link(pair_id) -> str:
    if not pair_id:
        return "—"
    return format_html('<a href="{}">QA pair #{}</a>', reverse("admin:qa_app_qapair_change", args=[pair_id]), pair_id)


@admin.register(RejectedArtifact)
class RejectedArtifactAdmin(TenantScopedAdminMixin, ReadableJSONMixin, ObjectActionsMixin, ReadOnlyAdmin):
    tenant_field = "job__tenant_id"
    paginator = LargeTablePaginator
    list_display = ["job", "record_index", "reason_codes", "promoted_pair_link", "created_at"]
    list_filter = [("job", TenantScopedRelatedFilter)]
    list_select_related = ["job"]
    readonly_fields = [
        "job",
        "record_index",
        "reason_list",
        "raw_reply",
        "payload",
        "promoted_pair_link",
        "created_at",
    ]
    fields = readonly_fields
    object_actions = {"promote": "Promote…"}

    @admin.display(description="reasons")
    def reason_codes(self, artifact):
        return ", ".join(sorted({reason["code"] for reason in artifact.reasons}))

    @admin.display(description="reasons")
    def reason_list(self, artifact):
        return format_html_join(
            "", "<p><code>{}</code> {}</p>", ((reason["code"], reason["message"]) for reason in artifact.reasons)
        )

    @admin.display(description="raw reply")
    def raw_reply(self, artifact):
        raw = artifact.payload.get("raw")
        return format_html("<pre>{}</pre>", raw) if raw else "—"

    @admin.display(description="promoted to")
    def promoted_pair_link(self, artifact):
        return _pair_link(artifact.promoted_pair_id)

    def object_action_allowed(self, request, obj, name):
        return not obj.promoted_pair_id and request.user.has_perm(services.REVIEW_PERMISSION)

    def promote(self, request, artifact):
        initial = {name: artifact.payload.get(name, "") for name in PromoteArtifactForm.base_fields}
        form = PromoteArtifactForm(request.POST if selected_action_submitted(request) else None, initial=initial)
        if form.is_valid():
            try:
                pair = services.rejected_artifact_promote(
                    artifact=artifact, acting_user=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                self.message_user(request, f"Promoted to pending QA pair #{pair.pk}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:qa_app_qapair_change", args=[pair.pk]))
        return render_action_form(
            self, request, title=f"Promote rejected artifact #{artifact.pk}", form=form, submit="Promote to review"
        )


@admin.register(DuplicateRecord)
class DuplicateRecordAdmin(TenantScopedAdminMixin, ReadOnlyAdmin):
    tenant_field = "job__tenant_id"
    paginator = LargeTablePaginator
    list_display = ["job", "record_index", "duplicate_of_link", "created_at"]
    list_filter = [("job", TenantScopedRelatedFilter)]
    list_select_related = ["job"]
    fields = readonly_fields = ["job", "record_index", "content_hash", "duplicate_of_link", "created_at"]

    @admin.display(description="duplicate of")
    def duplicate_of_link(self, duplicate):
        return _pair_link(duplicate.duplicate_of_id)
