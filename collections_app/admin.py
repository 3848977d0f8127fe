from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from qa_app.admin import QAPairAdmin
from qa_app.models import QAPair
from synthgov.admin_tools import (
    GovernedHistoryAdmin,
    LargeTablePaginator,
    ObjectActionsMixin,
    ReadableJSONMixin,
    ReadOnlyAdmin,
    ReadOnlyHistoryAdmin,
    related_preview,
    render_action_form,
    reported_to,
    selected_action_submitted,
)
from synthgov.errors import DomainError
from tenants_app.admin_scoping import TenantScopedAdminMixin, TenantScopedRelatedFilter
from tenants_app.forms import tenant_choice_field, with_tenant_choices
from tenants_app.scoping import for_user

from . import services
from .admin_figures import collection_coverage, collection_figures, release_diff_link, release_diff_urls
from .admin_fill import MembershipFillAdmin, collection_fill_link, collection_fill_urls
from .exporters import EXPORTERS, FORMAT_CHOICES
from .models import Collection, Membership, Release, ReleaseItem, Split, default_formats

__all__ = ["MembershipFillAdmin"]


class AddToCollectionForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=Collection.objects.all())
    split = forms.ChoiceField(choices=[("", "automatic (stable hash)"), *Split.choices], required=False)
    weight = forms.FloatField(initial=1.0, help_text="Must be greater than 0.")


@admin.action(description="Add selected pairs to a collection…")
def add_to_collection(modeladmin, request, queryset):
    """An action of the QA pair admin, added from here (qa_app sits below collections_app)."""
    form = AddToCollectionForm(request.POST if selected_action_submitted(request) else None)
    # Only the collections of the user's tenants are offered (and accepted).
    form.fields["collection"].queryset = for_user(Collection.objects.all(), request.user)
    if form.is_valid():
        data = form.cleaned_data
        result = modeladmin.call_into_form(
            form,
            services.collection_add_pairs,
            collection=data["collection"],
            pairs=queryset,
            split=data["split"],
            weight=data["weight"],
            acting_user=request.user,
        )
        if result:
            modeladmin.message_user(
                request,
                f"Added {result.added} pair(s) to '{data['collection']}'"
                + (f"; {result.already_members} were already members." if result.already_members else "."),
                messages.SUCCESS,
            )
            return None
    return render_action_form(
        modeladmin,
        request,
        title="Add QA pairs to a collection",
        form=form,
        objects=queryset,
        action="add_to_collection",
        submit="Add to collection",
    )


QAPairAdmin.add_action(add_to_collection, permission=services.ADD_MEMBERSHIP_PERMISSION)


class ReleaseInline(admin.TabularInline):
    model = Release
    fields = ["version", "status", "created_by", "published_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True


def _formats_field(**kwargs) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(choices=FORMAT_CHOICES, widget=forms.CheckboxSelectMultiple, **kwargs)


class ReleaseForm(forms.Form):
    formats = _formats_field(
        help_text="Each format writes one file per split under its own folder, and a datasets config in the "
        "release's README.md. Ticked: the collection's default formats."
    )


NO_TENANT = "none: a cross-tenant collection"


class CollectionForm(forms.ModelForm):
    default_formats = _formats_field(
        required=False, help_text="Formats a release writes unless it asks for others (none ticked: openai_chat)."
    )
    # Choices are the user's tenants, set per request (CollectionAdmin.get_form).
    tenant_id = tenant_choice_field(
        required=False,
        help_text="The tenant whose pairs the collection holds. None: a cross-tenant collection "
        "(tick cross-tenant; users who see every tenant only).",
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Why you change this collection; kept in its history. Needed to let synthetic pairs "
        "into an evaluation collection.",
    )

    class Meta:
        model = Collection
        fields = [
            "slug",
            "name",
            "purpose",
            "allowed_sources",
            "allow_synthetic_in_evaluation",
            "split_ratios",
            "seed",
            "coverage_targets",
            "description",
            "default_formats",
            "tenant_id",
            "cross_tenant",
            "allow_pii",
        ]

    def clean_default_formats(self):
        return self.cleaned_data["default_formats"] or default_formats()

    def _post_clean(self):
        super()._post_clean()
        try:
            self.cleaned_data["reason"] = services.collection_save_reason(
                collection=self.instance, reason=self.cleaned_data.get("reason", "")
            )
        except DomainError as exc:
            self.add_error("reason", exc.message)


@admin.register(Collection)
class CollectionAdmin(TenantScopedAdminMixin, ReadableJSONMixin, ObjectActionsMixin, GovernedHistoryAdmin):
    form = CollectionForm
    list_display = ["slug", "name", "purpose", "tenant_id", "member_count", "release_count"]
    list_filter = ["purpose", "cross_tenant"]
    search_fields = ["slug", "name"]
    readonly_fields = ["created_by", "created_at", "members_link", "figures", "coverage"]
    inlines = [ReleaseInline]
    actions = ["release_selected"]
    object_actions = {"release": "Release"}

    def get_queryset(self, request):
        # The list's counts as subqueries of its one query, not a COUNT per row.
        def counted(model):
            rows = model.objects.filter(collection=OuterRef("pk")).order_by().values("collection")
            return Coalesce(Subquery(rows.annotate(count=Count("pk")).values("count")), 0)

        return super().get_queryset(request).annotate(members=counted(Membership), releases_made=counted(Release))

    @admin.display(description="members", ordering="members")
    def member_count(self, collection):
        return collection.members

    @admin.display(description="releases", ordering="releases_made")
    def release_count(self, collection):
        return collection.releases_made

    @admin.display(description="figures")
    def figures(self, collection):
        return collection_figures(collection)

    @admin.display(description="coverage (approved members against targets)")
    def coverage(self, collection):
        return collection_coverage(collection)

    def object_links(self, request, obj):
        return collection_fill_link(request, obj)

    def get_urls(self):
        return [*collection_fill_urls(self), *super().get_urls()]

    @admin.display(description="members")
    def members_link(self, collection):
        if collection.pk is None:
            return "—"
        url = reverse("admin:collections_app_membership_changelist") + f"?collection__id__exact={collection.pk}"
        return format_html(
            '<a href="{}">{} member(s)</a>{}',
            url,
            f"{collection.members:,}" if hasattr(collection, "members") else collection.memberships.count(),
            related_preview(
                collection.memberships.select_related("qa_pair").order_by("-added_at"),
                columns=[
                    ("pair", lambda membership: membership.qa_pair),
                    ("split", lambda membership: membership.split or "automatic"),
                    ("weight", lambda membership: membership.weight),
                ],
                more_url=url,
            ),
        )

    # Guarded settings: shown read-only to users without the permission to change them (the service
    # refuses them the change whatever edge it comes from).
    guarded_fields = {
        "allow_synthetic_in_evaluation": services.LIFT_WALL_PERMISSION,
        "allow_pii": services.ALLOW_PII_PERMISSION,
        "cross_tenant": services.CROSS_TENANT_PERMISSION,
    }

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return with_tenant_choices(form, request.user, no_tenant=NO_TENANT)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj)]
        readonly += [name for name, permission in self.guarded_fields.items() if not request.user.has_perm(permission)]
        # Moving a collection to another tenant is the cross-tenant permission's too (a collection
        # without a tenant yet, older than the rule, may be given one).
        tenanted = obj is not None and (obj.tenant_id or obj.cross_tenant)
        if tenanted and not request.user.has_perm(services.CROSS_TENANT_PERMISSION):
            readonly.append("tenant_id")
        return readonly

    def save_model(self, request, obj, form, change):
        services.collection_save(collection=obj, acting_user=request.user, reason=form.cleaned_data.get("reason", ""))

    def object_action_allowed(self, request, obj, name):
        return self.has_release_permission(request)

    def has_release_permission(self, request):
        return request.user.has_perm(services.RELEASE_PERMISSION)

    def release(self, request, collection):
        form = ReleaseForm(
            request.POST if selected_action_submitted(request) else None,
            initial={"formats": collection.default_formats},
        )
        if not form.is_valid():
            return render_action_form(self, request, title=f"Release {collection}", form=form, submit="Release")
        release = services.collection_release(
            collection=collection, acting_user=request.user, formats=form.cleaned_data["formats"]
        )
        self.message_user(
            request,
            f"Released {release}: {release.manifest['rows']} rows in {', '.join(release.formats)}.",
            messages.SUCCESS,
        )
        self._report_guard_warnings(request, release)
        return HttpResponseRedirect(reverse("admin:collections_app_release_change", args=[release.pk]))

    @admin.action(description="Release selected collections", permissions=["release"])
    def release_selected(self, request, queryset):
        for collection in queryset:
            with reported_to(request, self):
                release = services.collection_release(collection=collection, acting_user=request.user)
                self.message_user(request, f"Released {release}.", messages.SUCCESS)
                self._report_guard_warnings(request, release)

    def _report_guard_warnings(self, request, release):
        for warning in release.manifest.get("guards", {}).get("warnings", []):
            self.message_user(request, f"{release}: {warning['message']}", messages.WARNING)


class ApprovedFilter(admin.SimpleListFilter):
    title = "pair approved"
    parameter_name = "approved"

    def lookups(self, request, model_admin):
        return [("yes", "Approved"), ("no", "No longer approved")]

    def queryset(self, request, queryset):
        approved = Q(qa_pair__review_status=QAPair.ReviewStatus.APPROVED)
        if self.value() == "yes":
            return queryset.filter(approved)
        if self.value() == "no":
            return queryset.exclude(approved)
        return queryset


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdminMixin, GovernedHistoryAdmin):
    tenant_field = "collection__tenant_id"
    paginator = LargeTablePaginator
    list_display = ["collection", "qa_pair", "split", "weight", "added_by", "added_at"]
    list_filter = [("collection", TenantScopedRelatedFilter), "split", ApprovedFilter]
    list_select_related = ["collection", "qa_pair", "added_by"]
    readonly_fields = ["collection", "qa_pair", "split", "weight", "added_by", "added_at"]
    actions = ["remove_selected"]
    show_full_result_count = False

    def has_add_permission(self, request):
        # Pairs join a collection through the QA pair list ("Add to a collection").
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Remove selected pairs from their collection", permissions=["remove"])
    def remove_selected(self, request, queryset):
        removed = 0
        try:
            for collection in Collection.objects.filter(memberships__in=queryset).distinct():
                removed += services.collection_remove_pairs(
                    collection=collection,
                    pairs=[membership.qa_pair for membership in queryset.filter(collection=collection)],
                    acting_user=request.user,
                )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(request, f"Removed {removed} membership(s).", messages.SUCCESS)

    def has_remove_permission(self, request):
        return request.user.has_perm(services.REMOVE_MEMBERSHIP_PERMISSION)


class ReleaseFilter(TenantScopedRelatedFilter):
    related_tenant_field = "collection__tenant_id"


@admin.register(ReleaseItem)
class ReleaseItemAdmin(TenantScopedAdminMixin, ReadOnlyAdmin):
    tenant_field = "release__collection__tenant_id"
    paginator = LargeTablePaginator
    list_display = ["release", "qa_pair", "split", "weight", "content_hash"]
    list_filter = [("release", ReleaseFilter), "split"]
    list_select_related = ["release__collection", "qa_pair"]
    show_full_result_count = False


def _file_description(entry: dict) -> str:
    if entry["rows"] is not None:
        exporter = EXPORTERS.get(entry.get("format") or "")
        return f"{exporter.label}, {entry['rows']:,} rows" if exporter else f"{entry['rows']:,} rows"
    if entry["name"] == services.CARD_NAME:
        return "the dataset card (README.md with the datasets configs)"
    return "the manifest (counts and checksums)"


@admin.register(Release)
class ReleaseAdmin(TenantScopedAdminMixin, ReadableJSONMixin, ReadOnlyHistoryAdmin):
    # A release follows its collection's tenant (a cross-tenant collection's: view-all users only).
    tenant_field = "collection__tenant_id"
    list_display = ["__str__", "status", "rows", "created_by", "published_at"]
    list_filter = [("collection", TenantScopedRelatedFilter), "status"]
    list_select_related = ["collection", "created_by"]
    fields = [
        "collection",
        "version",
        "status",
        "downloads",
        "compare",
        "items",
        "formats",
        "manifest",
        "created_by",
        "created_at",
        "published_at",
    ]
    readonly_fields = fields

    @admin.display(description="items")
    def items(self, release):
        return related_preview(
            release.items.select_related("qa_pair").order_by("split", "qa_pair_id"),
            columns=[
                ("pair", lambda item: item.qa_pair),
                ("split", lambda item: item.split),
                ("weight", lambda item: item.weight),
                ("content hash", lambda item: item.content_hash[:12]),
            ],
            more_url=reverse("admin:collections_app_releaseitem_changelist") + f"?release__id__exact={release.pk}",
        )

    @admin.display(description="compare")
    def compare(self, release):
        return release_diff_link(release)

    @admin.display(description="rows")
    def rows(self, release):
        return release.manifest.get("rows", 0)

    @admin.display(description="files")
    def downloads(self, release):
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}" download>{}</a> — {}, sha256 <code>{}</code></li>',
                (
                    (
                        reverse("admin:collections_app_release_download", args=[release.pk, entry["name"]]),
                        entry["name"],
                        _file_description(entry),
                        entry["sha256"],
                    )
                    for entry in release.files
                ),
            ),
        )

    def get_urls(self):
        return [
            *release_diff_urls(self),
            path(
                "<int:release_id>/download/<path:name>",
                self.admin_site.admin_view(self.download_view),
                name="collections_app_release_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, release_id, name):
        release = self.get_queryset(request).filter(pk=release_id).select_related("collection").first()
        if release is None:
            raise Http404("No such release.")
        if not self.has_view_permission(request, release):
            raise PermissionDenied
        try:
            file_path = services.release_file_path(release, name)
        except DomainError as exc:
            raise Http404(exc.message) from exc
        if not file_path.exists():
            raise Http404(f"The file {name} of {release} is missing from storage.")
        return FileResponse(
            # The name the manifest gives it, as the API does: one name everywhere.
            open(file_path, "rb"),
            as_attachment=True,
            filename=services.release_download_name(name),
        )
