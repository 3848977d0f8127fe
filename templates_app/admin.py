from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from synthgov.admin_tools import (
    ObjectActionsMixin,
    related_preview,
    render_action_form,
    reported_to,
    selected_action_submitted,
)
from synthgov.errors import DomainError

from . import selectors, services
from .checks import compile_problems, structure_problems
from .models import CONTENT_FIELDS, Chapter, PromptTemplate, Subchapter, TemplateVersion
from .sampling import SpecError
from .selectors import qa_pair_count, with_template_counts

RECENT_JOBS_SHOWN = 20
PREVIEW_FIELDS = [
    ("system_prompt", "System prompt"),
    ("prompt", "Prompt"),
    ("question", "Question"),
    ("answer", "Answer"),
    ("context", "Context"),
]


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


@admin.register(Chapter)
class ChapterAdmin(TaxonomyCountsMixin, admin.ModelAdmin):
    list_display = ["key", "title", "templates", "approved_versions"]
    search_fields = ["key", "title"]
    readonly_fields = ["qa_pairs"]
    inlines = [SubchapterInline]

    @admin.display(description="QA pairs")
    def qa_pairs(self, chapter):
        return qa_pair_count(chapter=chapter) if chapter.pk else 0


@admin.register(Subchapter)
class SubchapterAdmin(TaxonomyCountsMixin, admin.ModelAdmin):
    list_display = ["key", "title", "chapter", "templates", "approved_versions"]
    list_filter = ["chapter"]
    search_fields = ["key", "title"]
    readonly_fields = ["qa_pairs"]

    @admin.display(description="QA pairs")
    def qa_pairs(self, subchapter):
        return qa_pair_count(subchapter=subchapter) if subchapter.pk else 0


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
class PromptTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["key", "name", "chapter", "subchapter"]
    list_filter = ["chapter"]
    search_fields = ["key", "name"]
    inlines = [TemplateVersionInline]


class TemplateVersionForm(forms.ModelForm):
    class Meta:
        model = TemplateVersion
        fields = ["template", *CONTENT_FIELDS]

    def clean(self):
        cleaned = super().clean()
        version = self.instance
        for name in CONTENT_FIELDS:
            if name in cleaned:
                setattr(version, name, cleaned[name])
        for problem in structure_problems(version) + compile_problems(version):
            self.add_error(None, problem)
        return cleaned


class PreviewForm(forms.Form):
    seed = forms.IntegerField(initial=0)
    count = forms.IntegerField(min_value=1, max_value=selectors.PREVIEW_MAX_RECORDS, initial=5, label="Records")
    locale = forms.CharField(initial="en", max_length=35, help_text="For person and faker variables.")


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


def _diff_line_class(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "file"
    return {"@": "hunk", "+": "added", "-": "removed"}.get(line[:1], "context")


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ObjectActionsMixin, SimpleHistoryAdmin):
    form = TemplateVersionForm
    list_display = ["template", "version", "status", "is_current", "author", "published_by", "published_at"]
    list_filter = ["status", "is_current", "template__chapter"]
    search_fields = ["template__key", "template__name"]
    list_select_related = ["template", "author", "published_by"]
    actions = ["publish_selected", "archive_selected"]
    object_actions = {"publish": "Publish", "archive": "Archive", "new_draft": "New draft"}
    governance_fields = [
        "version",
        "status",
        "is_current",
        "content_sha256",
        "author",
        "created_at",
        "published_by",
        "published_at",
        "archived_at",
    ]

    def has_change_permission(self, request, obj=None):
        # Approved and archived versions are immutable: their page is view-only.
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

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

    @admin.display(description="variable combinations")
    def coverage(self, version):
        try:
            rows = selectors.version_coverage(version=version)
        except SpecError as exc:
            return f"Cannot count: {exc}"
        counted = rows[0]
        if counted.combinations is None:
            summary = format_html(
                "Unbounded: {} can take unlimited values, so every record can differ.", ", ".join(counted.unbounded)
            )
        else:
            summary = format_html(
                "{}{} distinct combinations{}.",
                "" if counted.exact else "at most ",
                f"{counted.combinations:,}",
                "" if counted.exact else " (an upper bound: index-driven variables move together)",
            )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{row.record_count:,}",
                    f"{row.covered_at_most:,}",
                    "—" if row.expected_distinct is None else f"{row.expected_distinct:,.0f}",
                )
                for row in rows
            ),
        )
        return format_html(
            '<p class="synthgov-coverage-summary">{}</p><table class="synthgov-coverage"><thead><tr>'
            "<th>records in a job</th><th>combinations covered at most</th>"
            "<th>distinct combinations expected (uniform sampling)</th></tr></thead><tbody>{}</tbody></table>",
            summary,
            body,
        )

    @admin.display(description="jobs")
    def jobs_using(self, version):
        jobs = selectors.jobs_using(version)
        all_url = reverse("admin:jobs_app_generationjob_changelist") + f"?template_version__id__exact={version.pk}"
        total = jobs.count()
        if not total:
            return "No job has used this version yet."
        return format_html(
            '<p><a href="{}">All {} job(s) using this version</a></p>{}',
            all_url,
            total,
            related_preview(
                jobs,
                columns=[
                    ("job", self._job_link),
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

    @staticmethod
    def _job_link(job):
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:jobs_app_generationjob_change", args=[job.pk]), job.pk
        )

    def object_action_allowed(self, request, obj, name):
        allowed_from = {
            "publish": [TemplateVersion.Status.DRAFT],
            "archive": [TemplateVersion.Status.DRAFT, TemplateVersion.Status.APPROVED],
            "new_draft": list(TemplateVersion.Status.values),
        }
        return obj.status in allowed_from[name]

    def object_links(self, request, obj):
        links = [
            {"label": "Preview", "url": self._page_url("preview", obj)},
            {"label": "Diff", "url": self._page_url("diff", obj)},
        ]
        if obj.status != TemplateVersion.Status.ARCHIVED:
            url = reverse("admin:jobs_app_generationjob_trigger") + f"?template_version={obj.pk}"
            links.append({"label": "Trigger job", "url": url})
        return links

    def _page_url(self, page: str, obj) -> str:
        return reverse(f"admin:templates_app_templateversion_{page}", args=[obj.pk])

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="templates_app_templateversion_preview",
            ),
            path(
                "<path:object_id>/diff/",
                self.admin_site.admin_view(self.diff_view),
                name="templates_app_templateversion_diff",
            ),
            *super().get_urls(),
        ]

    def _viewable_version(self, request, object_id) -> TemplateVersion:
        version = self.get_object(request, unquote(object_id))
        if version is None or not self.has_view_permission(request, version):
            raise PermissionDenied
        return version

    def _page_context(self, request, version, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "original": version,
            "has_view_permission": True,
            "change_url": self.change_url(version),
        }

    def preview_view(self, request, object_id):
        version = self._viewable_version(request, object_id)
        form = PreviewForm(request.GET if "seed" in request.GET else None)
        records, error = [], None
        if not form.is_bound or form.is_valid():
            options = (
                form.cleaned_data if form.is_bound else {name: field.initial for name, field in form.fields.items()}
            )
            try:
                records = selectors.version_preview(
                    version=version, seed=options["seed"], count=options["count"], locale=options["locale"]
                )
            except DomainError as exc:
                error = exc.message
        context = {
            **self._page_context(request, version, f"Preview of {version}"),
            "form": form,
            "records": [
                {
                    **record,
                    "fields": [(label, (record["rendered"] or {}).get(field)) for field, label in PREVIEW_FIELDS],
                }
                for record in records
            ],
            "error": error,
        }
        return TemplateResponse(request, "admin/templates_app/templateversion/preview.html", context)

    def diff_view(self, request, object_id):
        version = self._viewable_version(request, object_id)
        current = selectors.current_version(version.template_id)
        comparisons = [
            self._comparison(
                version, selectors.previous_version(version), "the previous version", "No previous version."
            ),
            self._comparison(
                version,
                current,
                "the current approved version",
                "The template has no current approved version.",
                same="This is the current approved version.",
            ),
        ]
        context = {**self._page_context(request, version, f"Diff of {version}"), "comparisons": comparisons}
        return TemplateResponse(request, "admin/templates_app/templateversion/diff.html", context)

    def _comparison(self, version, other, against: str, missing: str, same: str = "") -> dict:
        comparison = {"against": against, "other": other, "note": "", "fields": []}
        if other is None:
            comparison["note"] = missing
        elif other.pk == version.pk:
            comparison["note"] = same
        else:
            comparison["other_url"] = self.change_url(other)
            comparison["fields"] = [
                {
                    "field": diff["field"],
                    "label": TemplateVersion._meta.get_field(diff["field"]).verbose_name,
                    "lines": [(_diff_line_class(line), line) for line in diff["lines"]],
                }
                for diff in selectors.version_diff(version=version, other=other)
            ]
            if not comparison["fields"]:
                comparison["note"] = "No differences."
        return comparison

    def save_model(self, request, obj, form, change):
        # Form validation already ran the structure checks; the service re-checks state.
        services.template_version_save_draft(version=obj, acting_user=request.user)

    def publish(self, request, obj):
        current = selectors.current_version(obj.template_id)
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

    @admin.action(description="Publish selected drafts")
    def publish_selected(self, request, queryset):
        self._apply_to_each(request, queryset, services.template_version_publish, "Published")

    @admin.action(description="Archive selected versions")
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
