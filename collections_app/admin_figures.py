"""Read-only parts of the collection and release pages: the collection's figures and coverage, and
the page comparing two releases. The numbers come from collections_app.selectors."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from . import selectors
from .models import Release

DIFF_PAGE_SIZE = 50


def _table(headings: list[str], rows) -> str:
    head = format_html_join("", "<th>{}</th>", ((heading,) for heading in headings))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows)
    )
    return format_html(
        '<table class="synthgov-figures"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
    )


def collection_figures(collection) -> str:
    """Members per split (with weight sums), source, chapter and review status; the members no longer approved."""
    if collection.pk is None:
        return "—"
    stats = selectors.collection_stats(collection)
    not_approved_url = (
        reverse("admin:collections_app_membership_changelist") + f"?collection__id__exact={collection.pk}&approved=no"
    )
    not_approved = (
        format_html(
            '<p><a href="{}">{} member(s) no longer approved</a> (left out of releases)</p>',
            not_approved_url,
            f"{stats.not_approved:,}",
        )
        if stats.not_approved
        else mark_safe("<p>Every member is approved.</p>")
    )
    return format_html(
        "<p>{} member(s)</p>{}{}{}{}{}",
        f"{stats.members:,}",
        not_approved,
        _table(
            ["split", "members", "weight sum"],
            ((split, f"{count:,}", f"{weight:,.2f}") for split, (count, weight) in stats.per_split.items()),
        ),
        _table(["source", "members"], ((source, f"{count:,}") for source, count in stats.per_source.items())),
        _table(["chapter", "members"], ((chapter, f"{count:,}") for chapter, count in stats.per_chapter.items())),
        _table(
            ["review status", "members"], ((status, f"{count:,}") for status, count in stats.per_review_status.items())
        ),
    )


def collection_coverage(collection) -> str:
    report = selectors.coverage_report(collection) if collection.pk else []
    if not report:
        return "No coverage targets."
    return _table(
        ["chapter/subchapter", "approved", "target", "missing", ""],
        (
            (
                entry.key,
                f"{entry.approved:,}",
                f"{entry.target:,}",
                f"{entry.missing:,}",
                format_html('<progress value="{}" max="100"></progress> {}%', entry.percent, entry.percent),
            )
            for entry in report
        ),
    )


def release_diff_link(release: Release) -> str:
    previous = selectors.previous_release(release)
    url = reverse("admin:collections_app_release_diff", args=[release.pk])
    if previous is None:
        return format_html('<a href="{}">Compare with another release</a> (this is the first)', url)
    return format_html('<a href="{}">Compare with v{}</a>', url, previous.version)


def release_diff_view(modeladmin, request, release_id):
    # Through the admin's (tenant-scoped) queryset: another tenant's release is not found.
    release = modeladmin.get_queryset(request).filter(pk=release_id).select_related("collection").first()
    if release is None or not modeladmin.has_view_permission(request, release):
        raise Http404("No such release.") if release is None else PermissionDenied
    others = list(Release.objects.filter(collection_id=release.collection_id).exclude(pk=release.pk))
    against = None
    if request.GET.get("against", "").isdigit():
        against = next((other for other in others if other.pk == int(request.GET["against"])), None)
        if against is None:
            modeladmin.message_user(request, "Pick a release of the same collection to compare with.", level="ERROR")
    against = against or selectors.previous_release(release) or (others[0] if others else None)
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": f"{release}: what changed",
        "release": release,
        "others": others,
        "against": against,
        "categories": [],
    }
    if against is not None:
        diff = selectors.release_diff(release, against)
        for name, label in selectors.DIFF_CATEGORIES.items():
            count = diff.counts[name]
            page_number = request.GET.get(f"page_{name}", "1")
            page = Paginator(range(count), DIFF_PAGE_SIZE).get_page(page_number)
            ids = selectors.release_diff_pair_ids(
                release, against, name, offset=page.start_index() - 1 if count else 0, limit=DIFF_PAGE_SIZE
            )
            context["categories"].append(
                {
                    "name": name,
                    "label": label,
                    "count": count,
                    "page": page,
                    "pairs": [(pk, reverse("admin:qa_app_qapair_change", args=[pk])) for pk in ids],
                }
            )
    return TemplateResponse(request, "admin/collections_app/release_diff.html", context)


def release_diff_urls(modeladmin) -> list:
    return [
        path(
            "<int:release_id>/diff/",
            modeladmin.admin_site.admin_view(
                lambda request, release_id: release_diff_view(modeladmin, request, release_id)
            ),
            name="collections_app_release_diff",
        )
    ]
