from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from qa_app.admin import QAPairAdmin
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

from . import services
from .models import Collection, Membership, Release, ReleaseItem, Split


class AddToCollectionForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=Collection.objects.all())
    split = forms.ChoiceField(choices=[("", "automatic (stable hash)"), *Split.choices], required=False)
    weight = forms.FloatField(initial=1.0, help_text="Must be greater than 0.")


@admin.action(description="Add selected pairs to a collection…")
def add_to_collection(modeladmin, request, queryset):
    """An action of the QA pair admin, added from here (qa_app sits below collections_app)."""
    form = AddToCollectionForm(request.POST if selected_action_submitted(request) else None)
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


class CollectionForm(forms.ModelForm):
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
            "tenant_id",
            "cross_tenant",
            "allow_pii",
        ]

    def _post_clean(self):
        super()._post_clean()
        try:
            self.cleaned_data["reason"] = services.collection_save_reason(
                collection=self.instance, reason=self.cleaned_data.get("reason", "")
            )
        except DomainError as exc:
            self.add_error("reason", exc.message)


@admin.register(Collection)
class CollectionAdmin(ReadableJSONMixin, ObjectActionsMixin, GovernedHistoryAdmin):
    form = CollectionForm
    list_display = ["slug", "name", "purpose", "tenant_id", "member_count", "release_count"]
    list_filter = ["purpose", "cross_tenant"]
    search_fields = ["slug", "name"]
    readonly_fields = ["created_by", "created_at", "members_link"]
    inlines = [ReleaseInline]
    actions = ["release_selected"]
    object_actions = {"release": "Release"}

    @admin.display(description="members")
    def member_count(self, collection):
        return collection.memberships.count()

    @admin.display(description="releases")
    def release_count(self, collection):
        return collection.releases.count()

    @admin.display(description="members")
    def members_link(self, collection):
        if collection.pk is None:
            return "—"
        url = reverse("admin:collections_app_membership_changelist") + f"?collection__id__exact={collection.pk}"
        return format_html(
            '<a href="{}">{} member(s)</a>{}',
            url,
            collection.memberships.count(),
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
        release = services.collection_release(collection=collection, acting_user=request.user)
        self.message_user(request, f"Released {release}: {release.manifest['rows']} rows.", messages.SUCCESS)
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


@admin.register(Membership)
class MembershipAdmin(GovernedHistoryAdmin):
    paginator = LargeTablePaginator
    list_display = ["collection", "qa_pair", "split", "weight", "added_by", "added_at"]
    list_filter = ["collection", "split"]
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


@admin.register(ReleaseItem)
class ReleaseItemAdmin(ReadOnlyAdmin):
    paginator = LargeTablePaginator
    list_display = ["release", "qa_pair", "split", "weight", "content_hash"]
    list_filter = ["release", "split"]
    list_select_related = ["release__collection", "qa_pair"]
    show_full_result_count = False


@admin.register(Release)
class ReleaseAdmin(ReadableJSONMixin, ReadOnlyHistoryAdmin):
    list_display = ["__str__", "status", "rows", "created_by", "published_at"]
    list_filter = ["collection", "status"]
    list_select_related = ["collection", "created_by"]
    fields = [
        "collection",
        "version",
        "status",
        "downloads",
        "items",
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
                        f"{entry['rows']:,} rows"
                        if entry["rows"] is not None
                        else "the manifest (counts and checksums)",
                        entry["sha256"],
                    )
                    for entry in release.files
                ),
            ),
        )

    def get_urls(self):
        return [
            path(
                "<int:release_id>/download/<str:name>",
                self.admin_site.admin_view(self.download_view),
                name="collections_app_release_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, release_id, name):
        release = Release.objects.filter(pk=release_id).select_related("collection").first()
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
            filename=name,
        )
