from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import reverse

from qa_app.selectors import qa_pair_count
from synthgov.admin_tools import (
    GovernedHistoryAdmin,
    ObjectActionsMixin,
    ReadableJSONMixin,
    forget_refusal,
    render_action_form,
    reported_to,
    selected_action_submitted,
)

from . import services
from .checks import draft_problems
from .models import CONTENT_FIELDS, GOVERNANCE_FIELDS, Chapter, PromptTemplate, Subchapter, TemplateVersion
from .selectors import with_template_counts
from .version_pages import VersionPagesMixin

# The jobs app sits above this one, so its permission is named here rather than imported.
TRIGGER_JOB_PERMISSION = "jobs_app.trigger_generationjob"


class SubchapterInline(admin.TabularInline):
    model = Subchapter
    extra = 0


class TaxonomyCountsMixin:
    """Counts of templates and approved versions per row; QA pairs on the change page only, as
    counting millions of pairs for every row of a list would cost a scan each."""

    templates_path = "templates"

    def get_queryset(self, request):
        return with_template_counts(super().get_queryset(request), templates=self.templates_path)

    @admin.display(description="templates", ordering="template_count")
    def templates(self, node):
        return node.template_count

    @admin.display(description="approved versions", ordering="approved_version_count")
    def approved_versions(self, node):
        return node.approved_version_count

    def get_object(self, request, object_id, from_field=None):
        # The page's pair count, of the tenants the user sees: counted here, where the request is.
        node = super().get_object(request, object_id, from_field)
        if node is not None:
            node.visible_pair_count = qa_pair_count(**{self.counted_as: node}, user=request.user)
        return node

    @admin.display(description="QA pairs (of your tenants)")
    def qa_pairs(self, node):
        return getattr(node, "visible_pair_count", 0)


@admin.register(Chapter)
class ChapterAdmin(TaxonomyCountsMixin, admin.ModelAdmin):
    list_display = ["key", "title", "templates", "approved_versions"]
    search_fields = ["key", "title"]
    readonly_fields = ["qa_pairs"]
    inlines = [SubchapterInline]

    counted_as = "chapter"


@admin.register(Subchapter)
class SubchapterAdmin(TaxonomyCountsMixin, admin.ModelAdmin):
    list_display = ["key", "title", "chapter", "templates", "approved_versions"]
    list_filter = ["chapter"]
    search_fields = ["key", "title"]
    readonly_fields = ["qa_pairs"]

    counted_as = "subchapter"


class TemplateVersionInline(admin.TabularInline):
    model = TemplateVersion
    fields = ["version", "status", "author", "published_by", "published_at", "content_sha256"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PromptTemplate)
class PromptTemplateAdmin(GovernedHistoryAdmin):
    list_display = ["key", "name", "chapter", "subchapter"]
    list_filter = ["chapter"]
    search_fields = ["key", "name"]
    inlines = [TemplateVersionInline]

    def save_model(self, request, obj, form, change):
        services.prompt_template_save(template=obj, acting_user=request.user)

    def delete_model(self, request, obj):
        services.prompt_template_delete(template=obj, acting_user=request.user)


class TemplateVersionForm(forms.ModelForm):
    class Meta:
        model = TemplateVersion
        fields = ["template", *CONTENT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        version = self.instance
        for name in ("template", *CONTENT_FIELDS):
            if cleaned.get(name) is not None:
                setattr(version, name, cleaned[name])
        for field_problems in draft_problems(version).values():
            for problem in field_problems:
                self.add_error(None, problem)
        return cleaned


class PublishForm(forms.Form):
    previous = forms.ChoiceField(widget=forms.RadioSelect, initial="archive", label="The current version")

    def __init__(self, *args, current: TemplateVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["previous"].choices = [
            ("archive", f"Archive version {current.version} (current)"),
            ("keep", f"Keep version {current.version} approved (no longer current)"),
        ]

    @property
    def keep_previous(self) -> bool:
        return self.cleaned_data["previous"] == "keep"


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadableJSONMixin, VersionPagesMixin, ObjectActionsMixin, GovernedHistoryAdmin):
    form = TemplateVersionForm
    list_display = ["template", "version", "status", "is_current", "author", "published_by", "published_at"]
    list_filter = ["status", "is_current", "template__chapter"]
    search_fields = ["template__key", "template__name"]
    list_select_related = ["template", "author", "published_by"]
    actions = ["publish_selected", "archive_selected"]
    object_actions = {"publish": "Publish", "archive": "Archive", "new_draft": "New draft"}
    governance_fields = list(GOVERNANCE_FIELDS)

    def has_change_permission(self, request, obj=None):
        # Approved and archived versions are immutable: their page is view-only.
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        gone = self._draft_decided_while_edited(request, object_id)
        if gone is not None:
            return self._edits_as_new_draft(request, gone)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _draft_decided_while_edited(self, request, object_id) -> TemplateVersion | None:
        """The version of a change page's POST when it is no longer a draft (published or archived
        since the page was opened) and the person may write a new draft; else None."""
        if request.method != "POST" or object_id is None:
            return None
        version = self.get_object(request, unquote(object_id))
        if version is None or version.is_editable:
            return None
        may_write = super().has_change_permission(request, version) and self.has_add_permission(request)
        return version if may_write else None

    def _edits_as_new_draft(self, request, version: TemplateVersion):
        """A draft someone published (or archived) while another person edited it can no longer
        change; rather than a 403 that loses the edits, they become a new draft (version n+1) of the
        same template, through the add page's validation and service: saved if they are valid,
        else shown again with their problems and everything typed."""
        # The refusal of the first attempt, when the version was published between the check and
        # the save, is the reason for this page; the new draft's form must not show it.
        forget_refusal(request)
        request.POST = request.POST.copy()
        request.POST.setdefault("template", str(version.template_id))
        response = self.add_view(request, extra_context={"title": f"Your edits of {version}, as a new draft"})
        status = version.get_status_display().lower()
        decided = f"Version {version.version} of {version.template.key} was {status} while you were editing it"
        if response.status_code == 302:
            self.message_user(
                request, f"{decided}, so it stays as it is: your edits are a new draft.", messages.WARNING
            )
        else:
            self.message_user(
                request,
                f"{decided}, so it stays as it is: correct your edits below to save them as a new draft.",
                messages.WARNING,
            )
        return response

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["template", *self.governance_fields, "coverage", "jobs_using"]
        return self.governance_fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["template", *CONTENT_FIELDS]}),
            ("Governance", {"fields": self.governance_fields}),
        ]
        if obj is not None:
            fieldsets += [
                ("Coverage", {"fields": ["coverage"]}),
                ("Jobs using this version", {"fields": ["jobs_using"]}),
            ]
        return fieldsets

    def object_action_allowed(self, request, obj, name):
        user = request.user
        if name == "publish":
            return obj.status == TemplateVersion.Status.DRAFT and not services.publish_refusal(
                version=obj, acting_user=user
            )
        if name == "archive":
            return obj.status != TemplateVersion.Status.ARCHIVED and user.has_perm(services.ARCHIVE_PERMISSION)
        return user.has_perm(services.ADD_PERMISSION)

    def object_action_refusal(self, request, obj, name):
        refusal = name == "publish" and services.publish_refusal(version=obj, acting_user=request.user)
        return refusal or super().object_action_refusal(request, obj, name)

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH_PERMISSION)

    def has_archive_permission(self, request):
        return request.user.has_perm(services.ARCHIVE_PERMISSION)

    def object_links(self, request, obj):
        links = self.version_page_links(obj)
        if obj.status != TemplateVersion.Status.ARCHIVED and request.user.has_perm(TRIGGER_JOB_PERMISSION):
            url = reverse("admin:jobs_app_generationjob_trigger") + f"?template_version={obj.pk}"
            links.append({"label": "Trigger job", "url": url})
        return links

    def save_model(self, request, obj, form, change):
        # Form validation already ran the structure checks; the service re-checks state.
        services.template_version_save_draft(version=obj, acting_user=request.user)

    def publish(self, request, obj):
        current = obj.template.current_version
        if current is None:
            services.template_version_publish(version=obj, acting_user=request.user)
            self.message_user(request, f"Published {obj}.", messages.SUCCESS)
            return None
        # The current version is archived by default; the publisher is asked, as keeping both is a choice.
        form = PublishForm(request.POST if selected_action_submitted(request) else None, current=current)
        if form.is_valid():
            services.template_version_publish(version=obj, acting_user=request.user, keep_previous=form.keep_previous)
            kept = "kept approved" if form.keep_previous else "archived"
            self.message_user(request, f"Published {obj}; version {current.version} {kept}.", messages.SUCCESS)
            return None
        return render_action_form(self, request, title=f"Publish {obj}", form=form, submit="Publish")

    def archive(self, request, obj):
        services.template_version_archive(version=obj, acting_user=request.user)
        self.message_user(request, f"Archived {obj}.", messages.SUCCESS)

    def new_draft(self, request, obj):
        draft = services.template_version_new_draft(version=obj, acting_user=request.user)
        self.message_user(request, f"Created {draft} from version {obj.version}.", messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(draft))

    @admin.action(description="Publish selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._apply_to_each(request, queryset, services.template_version_publish, "Published")

    @admin.action(description="Archive selected versions", permissions=["archive"])
    def archive_selected(self, request, queryset):
        self._apply_to_each(request, queryset, services.template_version_archive, "Archived")

    def _apply_to_each(self, request, queryset, service, verb):
        done = 0
        for version in queryset.select_related("template"):
            with reported_to(request, self):
                service(version=version, acting_user=request.user)
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} version(s).", messages.SUCCESS)
