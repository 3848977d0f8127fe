from collections.abc import Callable
from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from synthgov.admin_tools import (
    GovernedHistoryAdmin,
    LargeTablePaginator,
    ObjectActionsMixin,
    ReadableJSONMixin,
    render_action_form,
    selected_action_submitted,
)
from synthgov.errors import DomainError
from synthgov.text_limits import text_problems
from tenants_app.admin_scoping import TenantScopedAdminMixin
from tenants_app.forms import tenant_choice_field, with_tenant_choices

from . import selectors, services
from .admin_filters import QUEUE_LIST_FILTERS
from .agreement import agreement_figures
from .assessment import LLM_JUDGE_SCORE
from .decision_display import decided_message, decision_table
from .models import QAPair, RejectReason
from .review_admin import ReviewQueueAdminMixin
from .selectors import decisions_visible_to
from .services.decisions import own_content_refusal


class QAPairForm(forms.ModelForm):
    # A pair an operator types belongs to one of their tenants (choices set per request, QAPairAdmin.get_form).
    tenant_id = tenant_choice_field(help_text="The tenant the pair belongs to (one of yours).")

    class Meta:
        model = QAPair
        fields = ["question", "answer", "context", "tags", "locale", "tenant_id"]

    def clean(self):
        cleaned = super().clean()
        texts = {name: cleaned.get(name) for name in ("question", "answer", "context")}
        for field, problem in text_problems(texts).items():
            self.add_error(field, problem)
        if {"question", "answer", "tenant_id"} <= cleaned.keys():
            pair = QAPair(
                pk=self.instance.pk,
                tenant_id=cleaned["tenant_id"],
                question=cleaned["question"],
                answer=cleaned["answer"],
                context=cleaned.get("context") or "",
            )
            try:
                services.qa_pair_refuse_duplicate(pair)
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from exc
        return cleaned


class RejectForm(forms.Form):
    """A reason from the admin-managed list, or typed, or both (the list's label, then the text)."""

    reason_choice = forms.ModelChoiceField(
        queryset=RejectReason.objects.filter(active=True),
        required=False,
        label="Reason",
        empty_label="— type it below —",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Details",
        help_text="Shown to the author; required unless a reason is chosen above.",
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("reason_choice") and not (cleaned.get("reason") or "").strip():
            raise forms.ValidationError(services.REJECTION_NEEDS_REASON)
        return cleaned

    @property
    def service_kwargs(self) -> dict:
        choice = self.cleaned_data.get("reason_choice")
        return {"reason": self.cleaned_data.get("reason") or "", "reason_code": choice.code if choice else ""}


class ReopenForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What the next reviewer should look at; required."
    )


class SameDirectionTieBreakChangeList(ChangeList):
    """Breaks ties by id in the direction of the first sort column.

    Django appends "-pk" whatever the direction, so "quality_score ASC, id DESC" could not walk
    the (review_status, quality_score, id) index and sorted every pending pair instead.
    """

    def get_ordering(self, request, queryset):
        if "search_rank" in queryset.query.annotations and ORDER_VAR not in self.params:
            # A search without a chosen sort column lists the best matches first.
            return ["-search_rank", "-pk"]
        ordering = super().get_ordering(request, queryset)
        if len(ordering) > 1 and ordering[-1] in ("pk", "-pk") and isinstance(ordering[0], str):
            ordering[-1] = "-pk" if ordering[0].startswith("-") else "pk"
        return ordering


@admin.register(QAPair)
class QAPairAdmin(
    TenantScopedAdminMixin, ReviewQueueAdminMixin, ReadableJSONMixin, ObjectActionsMixin, GovernedHistoryAdmin
):
    paginator = LargeTablePaginator
    form = QAPairForm
    list_display = [
        "id",
        "question_preview",
        "review_status",
        "source",
        "tenant_id",
        "locale",
        "job_link",
        "quality_score",
        "created_at",
    ]
    # The queue's filters (qa_app/admin_filters.py, applying qa_app.filters.QAPairFilter). A choice
    # list on a free-text column (locale, tenant) would run SELECT DISTINCT over the whole table on
    # every page load: those are input boxes.
    list_filter = ["review_status", "source", "is_preview", *QUEUE_LIST_FILTERS]
    # Full-text search over question, answer and context (qa_app.selectors.qa_pairs_matching), see
    # get_search_results; Django's icontains over the columns would read every row.
    search_fields = ["question", "answer", "context"]
    search_help_text = 'Words in question, answer or context; "a phrase", or, -word to exclude.'
    # Counting every row again for "N total" costs a full scan at scale.
    show_full_result_count = False
    list_per_page = 50
    actions = ["approve_selected", "reject_selected"]
    # Actions that apps above this one add (collections_app: "add to collection"), each with the
    # permission it needs: qa_app imports nothing from them. See `add_action`.
    added_actions: ClassVar[list[tuple[Callable, str]]] = []
    object_actions = {"approve": "Approve", "reject": "Reject…", "reopen": "Reopen"}
    readonly_fields = [
        "source",
        "review_status",
        "reviewed_by",
        "reviewed_at",
        "review_reason",
        "decisions_needed",
        "review_round",
        "decision_list",
        "created_by",
        "edited_by",
        "content_hash",
        "quality_score",
        "score_components",
        "flag_list",
        "llm_judge",
        "job",
        "template_version",
        "record_index",
        "chapter_key",
        "subchapter_key",
        "lineage",
        "metadata",
        "claimed_by",
        "claimed_until",
        "created_at",
        "updated_at",
    ]

    @classmethod
    def add_action(cls, action: Callable, *, permission: str) -> None:
        """Offer a function action `action(modeladmin, request, queryset)` to users with `permission`."""
        if all(added is not action for added, _ in cls.added_actions):
            cls.added_actions.append((action, permission))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.actions is None or "_popup" in request.GET:
            return actions
        for action, permission in self.added_actions:
            if request.user.has_perm(permission):
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def get_search_results(self, request, queryset, search_term):
        """Full-text search instead of Django's LIKE per column; ranked unless a column sort was chosen."""
        if not search_term.strip():
            return queryset, False
        try:
            matched = selectors.qa_pairs_matching(queryset, search_term, ranked=ORDER_VAR not in request.GET)
        except DomainError as exc:
            # Shown above the list, which the admin then shows unfiltered.
            self.message_user(request, exc.message, messages.ERROR)
            raise IncorrectLookupParameters(exc.message) from exc
        return matched, False

    def get_changelist(self, request, **kwargs):
        return SameDirectionTieBreakChangeList

    @admin.display(description="score components")
    def score_components(self, pair):
        components = {name: value for name, value in (pair.scores or {}).items() if name != LLM_JUDGE_SCORE}
        if not components:
            return "—"
        return format_html_join(
            "", "<div><code>{}</code> {}</div>", ((name, value) for name, value in sorted(components.items()))
        )

    @admin.display(description="model-made (LLM judge)")
    def llm_judge(self, pair):
        # Shown apart from the deterministic components: a model's opinion, not part of quality_score.
        judgement = (pair.scores or {}).get(LLM_JUDGE_SCORE)
        if not judgement:
            return "—"
        return format_html(
            "<div><strong>{}</strong> by <code>{}</code> (profile <code>{}</code>)</div><div>{}</div>",
            judgement.get("score"),
            judgement.get("model", "?"),
            judgement.get("profile", "?"),
            judgement.get("rationale", ""),
        )

    @admin.display(description="decisions")
    def decision_list(self, pair):
        viewer = getattr(pair, "_viewing_user", None)
        if viewer is None:
            return "—"
        return decision_table(*decisions_visible_to(pair, viewer))

    def get_object(self, request, object_id, from_field=None):
        pair = super().get_object(request, object_id, from_field)
        if pair is not None:
            # The decisions field shows what the viewing user may see (blind review).
            pair._viewing_user = request.user
        return pair

    @admin.display(description="flags")
    def flag_list(self, pair):
        if not pair.flags:
            return "—"
        return format_html_join(
            "",
            "<div><code>{}</code> {}</div>",
            (
                (flag.get("code", "?"), ", ".join(f"{key}: {value}" for key, value in flag.items() if key != "code"))
                for flag in pair.flags
            ),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("job")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["tenant_id", *self.readonly_fields]
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_tenant_choices(super().get_form(request, obj, change=change, **kwargs), request.user)

    @admin.display(description="question")
    def question_preview(self, pair):
        return pair.question[:100]

    @admin.display(description="job")
    def job_link(self, pair):
        if not pair.job_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:jobs_app_generationjob_change", args=[pair.job_id]), pair.job_id
        )

    def object_action_allowed(self, request, obj, name):
        if not request.user.has_perm(services.REVIEW_PERMISSION):
            return False
        pending = obj.review_status == QAPair.ReviewStatus.PENDING
        if name == "reopen":
            return not pending
        return pending and own_content_refusal(pair=obj, user=request.user) is None

    def object_action_refusal(self, request, obj, name):
        refusal = own_content_refusal(pair=obj, user=request.user)
        if name != "reopen" and refusal:
            return refusal
        return super().object_action_refusal(request, obj, name)

    def save_model(self, request, obj, form, change):
        if change:
            services.qa_pair_edit(pair=obj, acting_user=request.user)
        else:
            services.qa_pair_create(pair=obj, acting_user=request.user)

    def approve(self, request, pair):
        services.qa_pair_approve(pair=pair, acting_user=request.user)
        self.message_user(request, decided_message(pair, "Approved"), messages.SUCCESS)

    def reopen(self, request, pair):
        form = ReopenForm(request.POST if selected_action_submitted(request) else None)
        if form.is_valid() and self.call_into_form(
            form, services.qa_pair_reopen, pair=pair, acting_user=request.user, reason=form.cleaned_data["reason"]
        ):
            self.message_user(request, f"Reopened #{pair.pk} for review.", messages.SUCCESS)
            return None
        return render_action_form(self, request, title=f"Reopen QA pair #{pair.pk}", form=form, submit="Reopen")

    def reject(self, request, pair):
        form = RejectForm(request.POST if selected_action_submitted(request) else None)
        if form.is_valid() and self.call_into_form(
            form, services.qa_pair_reject, pair=pair, acting_user=request.user, **form.service_kwargs
        ):
            self.message_user(request, decided_message(pair, "Rejected"), messages.SUCCESS)
            return None
        return render_action_form(self, request, title=f"Reject QA pair #{pair.pk}", form=form, submit="Reject")

    def get_urls(self):
        return [
            path(
                "agreement/",
                self.admin_site.admin_view(self.agreement_view),
                name="qa_app_qapair_agreement",
            ),
            *super().get_urls(),
        ]

    def agreement_view(self, request):
        """Reviewer agreement (percent, Cohen's kappa) and the LLM judge's fit, for whoever may view pairs."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        figures = agreement_figures(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": "Review agreement",
            "opts": self.opts,
            "figures": figures,
        }
        return TemplateResponse(request, "admin/qa_app/agreement.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "agreement_url": reverse("admin:qa_app_qapair_agreement")}
        return super().changelist_view(request, extra_context)

    @admin.action(description="Approve selected pairs", permissions=["review"])
    def approve_selected(self, request, queryset):
        try:
            result = services.qa_pairs_review(pairs=queryset, approve=True, acting_user=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self._report_review(request, result, "Approved")

    @admin.action(description="Reject selected pairs…", permissions=["review"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if selected_action_submitted(request) else None)
        if form.is_valid():
            result = self.call_into_form(
                form,
                services.qa_pairs_review,
                pairs=queryset,
                approve=False,
                acting_user=request.user,
                **form.service_kwargs,
            )
            if result:
                self._report_review(request, result, "Rejected")
                return None
        return render_action_form(
            self,
            request,
            title="Reject QA pairs",
            form=form,
            objects=queryset,
            action="reject_selected",
            submit="Reject",
        )

    def has_review_permission(self, request):
        return request.user.has_perm(services.REVIEW_PERMISSION)

    @staticmethod
    def call_into_form(form, service, **kwargs):
        """Call a service; a refusal becomes a form error so the person can correct it."""
        try:
            return service(**kwargs)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return None

    def _report_review(self, request, result, verb):
        message = f"{verb} {result.decided} pair(s)."
        if result.recorded:
            message += f" Recorded your decision on {result.recorded} pair(s) that need a second reviewer."
        if result.escalated:
            message += f" Sent {result.escalated} pair(s) to adjudication: the other reviewer decided otherwise."
        if result.own_content:
            message += f" Skipped {result.own_content} you wrote or edited (four-eyes rule on content)."
        if others := result.skipped - result.own_content:
            message += (
                f" Skipped {others} that were no longer pending, that another reviewer has claimed,"
                " or that you already decided."
            )
        acted = result.decided or result.recorded or result.escalated
        self.message_user(request, message, messages.SUCCESS if acted else messages.WARNING)


# The adjudication queue, reject reasons and decisions (qa_app/decision_admin.py) and the import
# pages (qa_app/import_admin.py) register themselves.
from . import decision_admin, import_admin  # noqa: E402, F401
