"""The admin of "add all approved pairs matching this filter": the form on a collection and the fill's
page with its progress bar (moved in place by static/synthgov/job_progress.js, as a job's is)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.forms import Script
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from qa_app.models import QAPair
from synthgov.admin_tools import (
    ProgressJSONMixin,
    ReadableJSONMixin,
    ReadOnlyHistoryAdmin,
    polled_progress_bar,
    render_action_form,
    reported_to,
    shown_field,
)
from templates_app.models import Chapter, Subchapter
from tenants_app.admin_scoping import TenantScopedAdminMixin, TenantScopedRelatedFilter

from . import services
from .models import Collection, MembershipFill, Split


class FillForm(forms.Form):
    """Field names are the filter names (qa_app.filters.QAPairFilter), so a refused filter shows on its field."""

    chapter = forms.ModelChoiceField(queryset=Chapter.objects.all(), required=False)
    subchapter = forms.ModelChoiceField(queryset=Subchapter.objects.select_related("chapter"), required=False)
    template_version = forms.IntegerField(required=False, min_value=1, label="Template version (id)")
    job = forms.IntegerField(required=False, min_value=1, label="Generation job (id)")
    source = forms.ChoiceField(choices=[("", "any"), *QAPair.Source.choices], required=False)
    tenant_id = forms.CharField(required=False, max_length=100, label="Tenant")
    quality_score_min = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Quality at least", help_text="0 to 1."
    )
    flagged = forms.ChoiceField(
        choices=[("", "with or without flags"), ("false", "flag-free only"), ("true", "flagged only")],
        required=False,
        label="Flags",
    )
    split = forms.ChoiceField(choices=[("", "automatic (stable hash)"), *Split.choices], required=False)
    weight = forms.FloatField(initial=1.0, help_text="Must be greater than 0.")

    def filters(self) -> dict:
        data = self.cleaned_data
        filters = {name: data.get(name) for name in services.FILL_FILTERS if name in self.fields}
        filters["chapter"] = data["chapter"].pk if data.get("chapter") else None
        filters["subchapter"] = data["subchapter"].pk if data.get("subchapter") else None
        return {name: value for name, value in filters.items() if value not in (None, "")}


def fill_view(modeladmin, request, object_id):
    """Collection page link "Add approved pairs by filter…": the form; on submit the fill's page."""
    collection = modeladmin.get_object(request, object_id)
    if collection is None:
        raise Http404(f"No collection with id {object_id!r}.")
    if not request.user.has_perm(services.ADD_MEMBERSHIP_PERMISSION):
        raise PermissionDenied
    form = FillForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        fill = None
        with reported_to(request, modeladmin, form=form):
            fill = services.membership_fill_request(
                collection=collection,
                filters=form.filters(),
                split=form.cleaned_data["split"],
                weight=form.cleaned_data["weight"],
                acting_user=request.user,
            )
        if fill is not None:
            modeladmin.message_user(request, f"Queued {fill}: its page shows the progress.")
            return HttpResponseRedirect(reverse("admin:collections_app_membershipfill_change", args=[fill.pk]))
    return render_action_form(
        modeladmin,
        request,
        title=f"Add all approved pairs matching a filter to '{collection}'",
        form=form,
        submit="Add matching pairs",
    )


def fill_progress_text(fill: MembershipFill) -> str:
    return (
        f"{fill.progress_percent}% · {fill.processed:,}/{fill.matched:,} · {fill.added:,} added, "
        f"{fill.already_members:,} already members, {fill.refused:,} refused"
    )


def fill_progress_bar(fill: MembershipFill) -> str:
    url = None if fill.is_finished else reverse("admin:collections_app_membershipfill_progress", args=[fill.pk])
    total = max(fill.matched, 1)
    done = total if fill.status == MembershipFill.Status.SUCCEEDED else fill.processed
    return polled_progress_bar(done=done, total=total, text=fill_progress_text(fill), progress_url=url)


FILL_PAGE_FIELDS = [
    "status",
    "matched",
    "processed",
    "added",
    "already_members",
    "refused",
    "error",
    "started_at",
    "finished_at",
]


def fill_progress(fill: MembershipFill) -> dict:
    """What job_progress.js reads to move the bar and the fields of the fill's page."""

    return {
        "id": fill.pk,
        "status": fill.status,
        "finished": fill.is_finished,
        "processed": fill.processed,
        "total": max(fill.matched, 1),
        "percent": fill.progress_percent,
        "text": fill_progress_text(fill),
        "counts": {},
        "fields": {name: shown_field(fill, name) for name in FILL_PAGE_FIELDS},
        "shards": [],
    }


@admin.register(MembershipFill)
class MembershipFillAdmin(TenantScopedAdminMixin, ReadableJSONMixin, ProgressJSONMixin, ReadOnlyHistoryAdmin):
    tenant_field = "collection__tenant_id"
    list_display = ["__str__", "status", "progress", "added", "already_members", "refused", "requested_by"]
    list_filter = ["status", ("collection", TenantScopedRelatedFilter)]
    list_select_related = ["collection", "requested_by"]
    fields = [
        "collection",
        "progress",
        *FILL_PAGE_FIELDS[:6],
        "refused_by_rule",
        "filters",
        "split",
        "weight",
        "requested_by",
        "created_at",
        *FILL_PAGE_FIELDS[6:],
    ]
    readonly_fields = fields

    class Media:
        js = [Script("synthgov/job_progress.js", defer=True)]

    @admin.display(description="progress")
    def progress(self, fill):
        return fill_progress_bar(fill)

    def progress_json(self, fill):
        return fill_progress(fill)


def collection_fill_urls(modeladmin) -> list:
    return [
        path(
            "<path:object_id>/fill/",
            modeladmin.admin_site.admin_view(lambda request, object_id: fill_view(modeladmin, request, object_id)),
            name="collections_app_collection_fill",
        )
    ]


def collection_fill_link(request, collection: Collection) -> list[dict]:
    if collection.pk is None or not request.user.has_perm(services.ADD_MEMBERSHIP_PERMISSION):
        return []
    return [
        {
            "label": "Add approved pairs by filter…",
            "url": reverse("admin:collections_app_collection_fill", args=[collection.pk]),
        }
    ]
