"""Admin plumbing shared by the apps: buttons on change pages and intermediate forms.

No domain rules live here; every button and form calls a service and reports the outcome.
"""

import json
from contextlib import contextmanager
from functools import update_wrapper

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import display_for_field, unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, models, router, transaction
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from simple_history.admin import SimpleHistoryAdmin

from .counting import EXACT_COUNT_LIMIT, estimated_count
from .errors import DomainError


@contextmanager
def reported_to(request, modeladmin, *, form=None):
    """Turn a refused service call into an admin error message; nothing was changed.

    With a `form`, problems with fields the form has are shown on those fields instead, and the
    form keeps what the person typed.
    """
    try:
        yield
    except DomainError as exc:
        if not (form and refusal_on_fields(form, exc)):
            modeladmin.message_user(request, exc.message, level=messages.ERROR)


def refusal_on_fields(form, exc: DomainError) -> bool:
    """Add the refusal's problems to the fields of `form` that it names; whether any was."""
    on_fields = {field: problems for field, problems in exc.problems.items() if field in form.fields}
    for field, problems in on_fields.items():
        form.add_error(field, problems)
    return bool(on_fields)


def refusal_on_form(form, exc: DomainError) -> None:
    """The refusal as errors of `form`: on the fields it names that the form has, else (a field the
    form does not show, or none named) as an error of the whole form."""
    if not refusal_on_fields(form, exc):
        form.add_error(None, exc.message)


_REFUSAL = "_synthgov_service_refusal"


def forget_refusal(request) -> None:
    """Drop the refusal a POST met (ServiceRefusalsMixin), when the admin answers its cause another
    way and the next form must not show it."""
    if hasattr(request, _REFUSAL):
        delattr(request, _REFUSAL)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class ServiceRefusalsMixin:
    """A service's refusal (DomainError) while the admin saves or deletes is shown, never a 500,
    and nothing the request wrote is kept.

    Add and change pages: Django runs the POST in transaction.atomic; a DomainError from save_model
    or save_related (or anything after the form was accepted) is caught outside that block, so
    everything the request wrote (the object, its inlines, history and log rows, on_commit
    callbacks) is rolled back. Then the page is built again from the same POST with a form whose
    validation reports the refusal (`refusal_on_form`): Django shows it as any invalid form, with
    what the person typed, status 200.
    Delete page and the "delete selected" action (which Django does not run in a transaction; here
    it is all or nothing): rolled back the same way, the refusal a message on the object's page
    (the list, for the action).
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method in SAFE_METHODS or hasattr(request, _REFUSAL):
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            # Django runs the POST in transaction.atomic: caught out here, the refusal has rolled back all of it.
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            setattr(request, _REFUSAL, exc)
        # Once more from the start, with the database as before the POST: the form is invalid now.
        # Through the admin's own changeform_view, which may send the POST elsewhere now that the
        # object changed (TemplateVersionAdmin: a draft published meanwhile).
        return self.changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, _REFUSAL, None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def full_clean(self):
                super().full_clean()
                if self.is_bound:
                    refusal_on_form(self, refusal)

        RefusedForm.__name__ = RefusedForm.__qualname__ = form_class.__name__
        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        if request.method in SAFE_METHODS:
            return super().delete_view(request, object_id, extra_context)
        try:
            # In transaction.atomic, as changeform_view: the refusal has rolled back the deletion and its log row.
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        # The object's page, where the person sees it is still there; the confirmation page again
        # for someone who may delete it but not view it.
        obj = self.get_object(request, unquote(object_id))
        page = "change" if obj is not None and self.has_view_or_change_permission(request, obj) else "delete"
        return HttpResponseRedirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{page}", args=[object_id])
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_selected_or_refusal, name, description)
        return actions


def _delete_selected_or_refusal(modeladmin, request, queryset):
    """Django's "delete selected" action, all or nothing: a refusal of any one deletion rolls back
    them all and is shown on the list."""
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return delete_selected(modeladmin, request, queryset)
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return None


class ObjectActionsMixin:
    """Buttons on the change page, each a POST to `<pk>/actions/<name>/`.

    `object_actions` maps a method name to its label. A method takes (request, obj) and may
    return a response (an intermediate form); otherwise the change page is shown again.
    """

    change_form_template = "admin/synthgov/change_form_with_actions.html"
    object_actions: dict[str, str] = {}

    def object_action_allowed(self, request, obj, name: str) -> bool:
        return True

    def object_action_refusal(self, request, obj, name: str) -> str:
        """Why an action that is not allowed was refused; admins name the rule where they can."""
        label = self.object_actions[name]
        return f"“{label}” is not available for {obj}: its state or your permissions do not allow it."

    def object_links(self, request, obj) -> list[dict]:
        """Plain links (GET) shown beside the buttons, e.g. to a form on another admin."""
        return []

    def get_urls(self):
        def wrap(view):
            def wrapper(*args, **kwargs):
                return self.admin_site.admin_view(view)(*args, **kwargs)

            return update_wrapper(wrapper, view)

        return [
            path(
                "<path:object_id>/actions/<str:name>/",
                wrap(self.object_action_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_object_action",
            ),
            *super().get_urls(),
        ]

    def object_action_view(self, request, object_id, name):
        if name not in self.object_actions:
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        typed = typed_in_action_form(request)
        if obj is None:
            # Unknown, or another tenant's (the admin's queryset leaves it out): not found, never "forbidden".
            missing = f"No {self.opts.verbose_name} with id {object_id!r}."
            if typed:
                # It left this list while the person typed (another one decided it): keep what they typed.
                changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                refusal = f"{missing} Another person may have acted on it while you typed."
                return render_not_done(self, request, refusal=refusal, typed=typed, back_url=changelist)
            raise Http404(missing)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.object_action_allowed(request, obj, name):
            refusal = self.object_action_refusal(request, obj, name)
            if typed:
                # Its form was open while another person changed the object: keep what was typed.
                return render_not_done(self, request, refusal=refusal, typed=typed, back_url=self.change_url(obj))
            # The button is not shown in this case; a stale page or a hand-made request gets a message.
            self.message_user(request, refusal, level=messages.ERROR)
            return HttpResponseRedirect(self.change_url(obj))
        response = None
        with reported_to(request, self):
            response = getattr(self, name)(request, obj)
        return response or HttpResponseRedirect(self.change_url(obj))

    def change_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["object_action_buttons"] = [
                {
                    "label": label,
                    "url": reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_object_action", args=[obj.pk, name]
                    ),
                }
                for name, label in self.object_actions.items()
                if self.object_action_allowed(request, obj, name)
            ]
            context["object_links"] = self.object_links(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


def came_from(request, *, default: str) -> str:
    """The page the user came from, when it is on this site; else `default`."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return default


def render_action_form(modeladmin, request, *, title: str, form, objects=(), action: str = "", submit: str):
    """An intermediate page with a form, for a changelist action or a change-page button.

    For a changelist action the selected ids and the action name ride along as hidden fields,
    the way Django's own delete confirmation works.
    """
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.opts,
        "form": form,
        "objects": list(objects)[:50],
        "object_count": len(objects),
        "selected_ids": [obj.pk for obj in objects],
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "submit_label": submit,
    }
    return TemplateResponse(request, "admin/synthgov/action_form.html", context)


def selected_action_submitted(request) -> bool:
    return request.method == "POST" and "apply" in request.POST


# What render_action_form's page posts besides the fields a person fills in.
_ACTION_FORM_PLUMBING = {
    "csrfmiddlewaretoken",
    "apply",
    "action",
    "select_across",
    "index",
    helpers.ACTION_CHECKBOX_NAME,
}


def typed_in_action_form(request) -> list[tuple[str, str]]:
    """(field, text) of the filled fields of a submitted intermediate form (render_action_form)."""
    if not selected_action_submitted(request):
        return []
    typed = []
    for name, values in request.POST.lists():
        # Several values for one name: the ticked boxes of a multiple choice.
        text = ", ".join(value for value in values if value.strip())
        if name not in _ACTION_FORM_PLUMBING and text:
            typed.append((name.replace("_", " "), text))
    return typed


def render_not_done(modeladmin, request, *, refusal: str, typed: list[tuple[str, str]], back_url: str):
    """The page for a submitted action form that can no longer be carried out (the object changed
    while the person typed): why, and everything they typed, to copy. Status 200, as a form with
    errors: the page is the answer a person reads (Chromium reports a 4xx page as a console error)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Not done",
        "opts": modeladmin.opts,
        "refusal": refusal,
        "typed": typed,
        "back_url": back_url,
    }
    return TemplateResponse(request, "admin/synthgov/not_done.html", context)


class ReadOnlyMixin:
    """Viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """For machine-written rows: viewable, never added, edited or deleted by hand."""


class GovernedHistoryAdmin(ServiceRefusalsMixin, SimpleHistoryAdmin):
    """simple-history's history pages for a governed model: who changed what, when and why.

    A governed model changes through services: their refusals are form errors or messages, never a
    500, and nothing is saved (ServiceRefusalsMixin).

    A past version's page is shown, never saved. Restoring an old row by hand would bypass the
    services (state transitions, four eyes, the reason in the history row), and simple-history
    saves a POST to that page for anyone who may merely view the history, whatever its hidden
    "Revert" button suggests (SIMPLE_HISTORY_REVERT_DISABLED only hides the button).
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyHistoryAdmin(ReadOnlyMixin, GovernedHistoryAdmin):
    """For governed rows that change only through services (jobs, releases): read-only, with
    the history page listing who changed what and why."""


def related_preview(queryset, *, columns: list[tuple[str, object]], more_url: str, limit: int = 20) -> str:
    """A read-only table of the first rows of a possibly huge related set, and a link to all.

    `columns` pairs a heading with a function of the row. Inlines would load every row.
    """
    rows = list(queryset[: limit + 1])
    head = format_html_join("", "<th>{}</th>", ((heading,) for heading, _ in columns))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell(row),) for _, cell in columns)),) for row in rows[:limit]),
    )
    more = format_html('<p><a href="{}">Show all</a></p>', more_url) if len(rows) > limit else ""
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>{}", head, body, more)


class LargeTablePaginator(Paginator):
    """Pages a list of millions of rows without the two costs that grow with the table.

    Count: an unfiltered list of a large PostgreSQL table is counted from the table's statistics,
    a filtered one from the planner's estimate when that says it is large (a search for a common
    word among a million pairs: COUNT(*) alone took seconds); small results and SQLite count
    exactly. Page: the keys of the page are found first (an index-only scan over narrow keys),
    then only those rows are loaded, instead of OFFSET walking and reading every wide row it skips.
    """

    exact_below = EXACT_COUNT_LIMIT
    # True when `count` is an estimate; the changelist then says "about" (admin/pagination.html).
    count_is_estimate = False

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.exact_below:
                self.count_is_estimate = True
                return row[0]
        if query is not None and query.where:
            count, exact = estimated_count(self.object_list, exact_below=self.exact_below)
            self.count_is_estimate = not exact
            return count
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._get_page(list(self.object_list.filter(pk__in=keys)), number, self)


def json_block(value) -> str:
    """JSON a person can read: an object as a key/value table (nested values indented), anything else indented."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        rows = ((key, _json_cell(item)) for key, item in value.items())
        return format_html(
            '<table class="synthgov-kv"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )
    return _indented(value)


def _json_cell(value) -> str:
    if isinstance(value, dict | list):
        return _indented(value) if value else "—"
    return "—" if value in (None, "") else str(value)


def _indented(value) -> str:
    return format_html('<pre class="synthgov-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


class IndentedJSONFormField(forms.JSONField):
    """An editable JSON field shown indented, one key per line, instead of one long line."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


class ReadableJSONMixin:
    """Every JSON field of the model readable on its admin pages: read-only ones through `json_block`,
    editable ones indented. Django shows both as one line of raw JSON.

    Read-only JSON fields are swapped for display callables in both the read-only fields and the
    fieldsets. The admin's own `get_readonly_fields` and `get_fieldsets` (which subclasses often
    override without calling super) are wrapped per instance, so the swap applies to what they return.
    """

    formfield_overrides = {models.JSONField: {"form_class": IndentedJSONFormField}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        displays = {
            field.name: _json_display(field) for field in self.model._meta.fields if isinstance(field, models.JSONField)
        }
        declared_readonly, declared_fieldsets = self.get_readonly_fields, self.get_fieldsets

        def swap(names, readonly):
            def one(name):
                if isinstance(name, list | tuple):  # several fields on one line
                    return type(name)(one(each) for each in name)
                return displays[name] if isinstance(name, str) and name in readonly and name in displays else name

            return [one(name) for name in names]

        def get_readonly_fields(request, obj=None):
            names = declared_readonly(request, obj)
            return swap(names, set(names))

        def get_fieldsets(request, obj=None):
            # A page shown view-only displays every field read-only, whatever get_readonly_fields says.
            view_only = obj is not None and not self.has_change_permission(request, obj)
            readonly = set(displays) if view_only else set(declared_readonly(request, obj))
            return [
                (name, {**options, "fields": swap(options["fields"], readonly)})
                for name, options in declared_fieldsets(request, obj)
            ]

        self.get_readonly_fields, self.get_fieldsets = get_readonly_fields, get_fieldsets


def _json_display(field):
    def display(obj):
        return json_block(getattr(obj, field.name))

    display.short_description = field.verbose_name
    display.__name__ = f"{field.name}_readable"
    return display


def shown_field(obj, name: str) -> str:
    """A field as the admin shows it read-only (choice labels, localised numbers and dates)."""
    return str(display_for_field(getattr(obj, name), obj._meta.get_field(name), admin.site.empty_value_display))


def polled_progress_bar(*, done: int, total: int, text: str, progress_url: str | None) -> str:
    """A progress bar; with `progress_url` (the object's JSON, while it runs) static/synthgov/job_progress.js
    moves it, its counts and its page's fields in place."""
    polled = format_html('data-job-running data-progress-url="{}"', progress_url) if progress_url else ""
    return format_html(
        '<span class="synthgov-progress" {}><progress value="{}" max="{}"></progress>'
        ' <span class="synthgov-progress-text">{}</span></span>',
        polled,
        done,
        total,
        text,
    )


class ProgressJSONMixin:
    """`<pk>/progress/` (URL name `<app>_<model>_progress`): the object's `progress_json` for
    job_progress.js, with the same permission as viewing its page."""

    def progress_json(self, obj) -> dict:
        raise NotImplementedError

    def progress_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_progress", args=[obj.pk])

    def get_urls(self):
        return [
            path(
                "<path:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id!r}.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return JsonResponse(self.progress_json(obj))
