"""The review queue and the review page, as views of the QA pair admin (`get_urls`).

Thin: each view parses the request, calls one service (claim, approve, reject, edit-and-approve,
skip) and reports through admin messages; a refusal (permission, already decided, claimed by
another reviewer) is a message on the page, never a bare error. The queue's filters and order
travel in the query string from page to page; the reviewer's skips and the pairs seen in this
sitting (for `j`/`k`) live in the session.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from synthgov.errors import DomainError
from synthgov.markdown import render_markdown

from . import selectors, services
from .assessment import FLAG_CODES, LLM_JUDGE_SCORE
from .decision_display import decided_message, decision_table
from .filters import YES_NO
from .models import QAPair, RejectReason

SKIPPED_KEY = "synthgov_review_skipped"
SEEN_KEY = "synthgov_review_seen"
MAX_SESSION_IDS = 500
QUEUE_PAGE_ROWS = 25


class QueueFilterForm(forms.Form):
    order = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in selectors.QUEUE_ORDERS.items()],
        required=False,
        initial=selectors.DEFAULT_QUEUE_ORDER,
    )
    search = forms.CharField(required=False, label="Search")
    template_version = forms.IntegerField(required=False, min_value=1, label="Template version id")
    job = forms.IntegerField(required=False, min_value=1, label="Job id")
    source = forms.ChoiceField(choices=[("", "any"), *QAPair.Source.choices], required=False)
    tenant_id = forms.CharField(required=False, max_length=100, label="Tenant")
    locale = forms.CharField(required=False, max_length=35)
    flag = forms.ChoiceField(choices=[("", "any"), *FLAG_CODES.items()], required=False)
    quality_score_min = forms.FloatField(required=False, label="Quality from")
    quality_score_max = forms.FloatField(required=False, label="to")
    judge_score_min = forms.FloatField(required=False, label="Judge score from")
    judge_score_max = forms.FloatField(required=False, label="to")
    has_near_duplicate = forms.ChoiceField(choices=[("", "any"), *YES_NO], required=False, label="Near-duplicate")
    # The other filters of the QA pair list (chapter, subchapter, template) are taken from the query string too.


class EditForm(forms.Form):
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=False)
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), strip=False)
    context = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, strip=False)


def _remember(request, key: str, pk: int) -> list[int]:
    ids = [seen for seen in request.session.get(key, []) if seen != pk]
    ids.append(pk)
    request.session[key] = ids[-MAX_SESSION_IDS:]
    return request.session[key]


class ReviewQueueAdminMixin:
    """Adds `review/` (the queue), `review/next/` and `review/<id>/` (the review page)."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("review/", view(self.review_queue_view), name=f"{prefix}_review_queue"),
            path("review/next/", view(self.review_next_view), name=f"{prefix}_review_next"),
            path("review/<int:pk>/", view(self.review_pair_view), name=f"{prefix}_review"),
            *super().get_urls(),
        ]

    # -- helpers ------------------------------------------------------------------------------

    def _queue_url(self, params: dict) -> str:
        url = reverse("admin:qa_app_qapair_review_queue")
        return f"{url}?{urlencode(params)}" if params else url

    def _pair_url(self, pk: int, params: dict) -> str:
        url = reverse("admin:qa_app_qapair_review", args=[pk])
        return f"{url}?{urlencode(params)}" if params else url

    def _next_response(self, request, params: dict):
        """Claim the reviewer's next pair of the queue and open it; back to the queue when empty."""
        try:
            pair = services.qa_pair_claim_next(
                acting_user=request.user, filters=params, exclude=request.session.get(SKIPPED_KEY, [])
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(self._queue_url(params))
        if pair is None:
            self.message_user(request, "No more pairs to review in this queue.", messages.INFO)
            return HttpResponseRedirect(self._queue_url(params))
        return HttpResponseRedirect(self._pair_url(pair.pk, params))

    # -- views --------------------------------------------------------------------------------

    def review_queue_view(self, request):
        form = QueueFilterForm(request.GET or None)
        params = selectors.queue_params(request.GET) if form.is_valid() or not request.GET else {}
        can_review = request.user.has_perm(services.REVIEW_PERMISSION)
        if not can_review:
            self.message_user(request, services.REVIEW_PERMISSION_MISSING, messages.WARNING)
        queue = selectors.review_queue(acting_user=request.user, params=params)
        rows = list(
            queue.select_related("template_version__template").only(
                "id",
                "question",
                "quality_score",
                "flags",
                "source",
                "tenant_id",
                "locale",
                "created_at",
                "template_version__version",
                "template_version__template__key",
            )[:QUEUE_PAGE_ROWS]
        )
        remaining, exact = selectors.estimated_count(queue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Review queue",
            "form": form,
            "rows": rows,
            "remaining": remaining,
            "remaining_exact": exact,
            "decided_today": selectors.decisions_today(user=request.user),
            "decided_today_cap": selectors.DECISIONS_TODAY_CAP,
            "can_review": can_review,
            "query": urlencode(params),
            "next_url": reverse("admin:qa_app_qapair_review_next") + (f"?{urlencode(params)}" if params else ""),
        }
        return TemplateResponse(request, "admin/qa_app/qapair/review_queue.html", context)

    def review_next_view(self, request):
        params = selectors.queue_params(request.GET)
        if request.method != "POST":
            return HttpResponseRedirect(self._queue_url(params))
        return self._next_response(request, params)

    def review_pair_view(self, request, pk: int):
        params = selectors.queue_params(request.GET)
        # Through the admin's (tenant-scoped) queryset: another tenant's pair is not found.
        pair = get_object_or_404(self.get_queryset(request), pk=pk)
        edit_form = None
        typed = {}
        if request.method == "POST":
            response, edit_form = self._act(request, pair, params)
            if response is not None:
                return response
            typed = _typed_of_refused(request.POST)
        can_act = False
        if request.user.has_perm(services.REVIEW_PERMISSION):
            try:
                services.qa_pair_claim(pair=pair, acting_user=request.user)
                can_act = True
            except DomainError as exc:
                if request.method == "GET":
                    self.message_user(request, exc.message, messages.WARNING)
        elif request.method == "GET":
            self.message_user(request, services.REVIEW_PERMISSION_MISSING, messages.WARNING)
        seen = _remember(request, SEEN_KEY, pair.pk)
        position = seen.index(pair.pk)
        pair = (
            QAPair.objects.select_related("template_version__template", "job", "reviewed_by", "claimed_by")
            .filter(pk=pair.pk)
            .first()
        )
        queue = selectors.review_queue(acting_user=request.user, params=params)
        remaining, exact = selectors.estimated_count(queue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review QA pair #{pair.pk}",
            "pair": pair,
            "can_act": can_act,
            "texts": [
                (name, getattr(pair, name), render_markdown(getattr(pair, name)))
                for name in ("question", "answer", "context")
            ],
            "edit_form": edit_form
            or EditForm(initial={"question": pair.question, "answer": pair.answer, "context": pair.context}),
            # A refused decision's typed text: back in its form, or (when the pair can no longer be
            # decided here, e.g. another reviewer decided it while this one edited) shown to copy.
            "typed": typed,
            "unsaved": [] if can_act else _unsaved(typed, edit_form),
            "lineage": self._lineage(pair),
            "components": sorted(
                (name, value) for name, value in (pair.scores or {}).items() if name != LLM_JUDGE_SCORE
            ),
            "judge": (pair.scores or {}).get(LLM_JUDGE_SCORE),
            "flags": [
                (flag.get("code", "?"), {key: value for key, value in flag.items() if key != "code"})
                for flag in pair.flags or []
            ],
            "near_duplicates": [
                (flag.get("of"), flag.get("similarity"))
                for flag in pair.flags or []
                if flag.get("code") == "near_duplicate" and flag.get("of")
            ],
            "decisions": decision_table(*selectors.decisions_visible_to(pair, request.user)),
            "reject_reasons": RejectReason.objects.filter(active=True),
            "position": position + 1,
            "previous_url": self._pair_url(seen[position - 1], params) if position > 0 else "",
            "following_url": self._pair_url(seen[position + 1], params) if position + 1 < len(seen) else "",
            "remaining": remaining,
            "remaining_exact": exact,
            "decided_today": selectors.decisions_today(user=request.user),
            "decided_today_cap": selectors.DECISIONS_TODAY_CAP,
            "queue_url": self._queue_url(params),
            "query": urlencode(params),
        }
        return TemplateResponse(request, "admin/qa_app/qapair/review.html", context)

    def _act(self, request, pair, params):
        """Run the posted action; (redirect to the next pair, None) when it succeeded, else
        (None, the edit form with its errors) with the refusal as a message."""
        action = request.POST.get("action")
        edit_form = None
        try:
            if action == "approve":
                pair = services.qa_pair_approve(pair=pair, acting_user=request.user)
                self.message_user(request, decided_message(pair, "Approved"), messages.SUCCESS)
            elif action == "reject":
                pair = services.qa_pair_reject(
                    pair=pair,
                    acting_user=request.user,
                    reason=request.POST.get("reason", ""),
                    reason_code=request.POST.get("reason_code", ""),
                )
                self.message_user(request, decided_message(pair, "Rejected"), messages.SUCCESS)
            elif action == "edit":
                edit_form = EditForm(request.POST)
                if not edit_form.is_valid():
                    self.message_user(request, "Correct the edited text.", messages.ERROR)
                    return None, edit_form
                result = services.qa_pair_edit_and_approve(
                    pair=pair, acting_user=request.user, reason=request.POST.get("reason", ""), **edit_form.cleaned_data
                )
                self.message_user(request, self._edit_report(result), messages.SUCCESS)
            elif action == "skip":
                services.qa_pair_skip(pair=pair, acting_user=request.user)
                _remember(request, SKIPPED_KEY, pair.pk)
                self.message_user(request, f"Skipped #{pair.pk}.", messages.INFO)
            else:
                self.message_user(request, "Choose approve, edit, reject or skip.", messages.ERROR)
                return None, None
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None, edit_form
        return self._next_response(request, params), None

    @staticmethod
    def _edit_report(result) -> str:
        changes = []
        if result.flags_added:
            changes.append("new flags: " + ", ".join(result.flags_added))
        if result.flags_removed:
            changes.append("cleared flags: " + ", ".join(result.flags_removed))
        if result.quality_before != result.quality_after:
            changes.append(f"quality {result.quality_before} → {result.quality_after}")
        detail = "; ".join(changes) or "flags unchanged"
        return f"Edited and approved #{result.pair.pk} ({detail})."

    @staticmethod
    def _lineage(pair) -> list[tuple[str, object, str]]:
        """(label, value, link) rows beside the text."""
        lineage = pair.lineage or {}
        rows = []
        version = pair.template_version
        if version is not None:
            rows.append(
                (
                    "template",
                    version.template.key,
                    reverse("admin:templates_app_prompttemplate_change", args=[version.template_id]),
                )
            )
            rows.append(
                ("version", version.version, reverse("admin:templates_app_templateversion_change", args=[version.pk]))
            )
        if pair.job_id:
            rows.append(("job", pair.job_id, reverse("admin:jobs_app_generationjob_change", args=[pair.job_id])))
        for key, value in sorted(lineage.items()):
            if key not in ("job", "variables") and value not in (None, "", {}, []):
                rows.append((key.replace("_", " "), value, ""))
        rows.append(("source", pair.get_source_display(), ""))
        rows.append(("tenant", pair.tenant_id, ""))
        rows.append(("locale", pair.locale, ""))
        return rows


def _typed_of_refused(post) -> dict:
    """What a refused POST of the review page carried that a person typed or chose."""
    action = post.get("action")
    return {
        "action": action,
        "reject_reason": post.get("reason", "") if action == "reject" else "",
        "reason_code": post.get("reason_code", "") if action == "reject" else "",
        "edit_note": post.get("reason", "") if action == "edit" else "",
    }


def _unsaved(typed: dict, edit_form) -> list[tuple[str, str]]:
    """(label, text) of what a refused POST carried, for a page that no longer offers its forms."""
    if typed.get("action") == "edit" and edit_form is not None:
        texts = [(field.label, field.value() or "") for field in edit_form]
        return [*texts, ("Note", typed["edit_note"])] if typed["edit_note"] else texts
    if typed.get("action") == "reject" and typed["reject_reason"]:
        return [("Reason", typed["reject_reason"])]
    return []
