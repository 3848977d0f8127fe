"""The template version admin's read-only pages and blocks: preview, diff, coverage, what used it.

A mixin for TemplateVersionAdmin; every read goes through templates_app.selectors.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from synthgov.errors import DomainError

from . import selectors
from .models import TemplateVersion
from .sampling import SpecError
from .usage import version_usage

PREVIEW_FIELDS = [
    ("system_prompt", "System prompt"),
    ("prompt", "Prompt"),
    ("question", "Question"),
    ("answer", "Answer"),
    ("context", "Context"),
]


class PreviewForm(forms.Form):
    seed = forms.IntegerField(initial=0)
    count = forms.IntegerField(min_value=1, max_value=selectors.PREVIEW_MAX_RECORDS, initial=5, label="Records")
    locale = forms.CharField(initial="en", max_length=35, help_text="For person and faker variables.")


def _diff_line_class(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "file"
    return {"@": "hunk", "+": "added", "-": "removed"}.get(line[:1], "context")


class VersionPagesMixin:
    """Preview and Diff pages (links for `object_links`), and the coverage and jobs blocks (read-only fields).

    For an admin that also uses ObjectActionsMixin (its `change_url`).
    """

    def version_page_links(self, obj) -> list[dict]:
        return [
            {"label": "Preview", "url": self._page_url("preview", obj)},
            {"label": "Diff", "url": self._page_url("diff", obj)},
        ]

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

    @admin.display(description="used by")
    def jobs_using(self, version):
        return version_usage(version)

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
        if version is None:
            raise Http404(f"No template version with id {object_id}.")
        if not self.has_view_permission(request, version):
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
        current = version.template.current_version
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
