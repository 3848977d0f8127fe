from collections.abc import Callable
from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.urls import reverse
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

from . import services
from .assessment import LLM_JUDGE_SCORE
from .models import QAPair
from .review_admin import ReviewQueueAdminMixin


class QAPairForm(forms.ModelForm):
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
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown to the author; required.")


class SameDirectionTieBreakChangeList(ChangeList):
    """Breaks ties by id in the direction of the first sort column.

    Django appends "-pk" whatever the direction, so "quality_score ASC, id DESC" could not walk
    the (review_status, quality_score, id) index and sorted every pending pair instead.
    """

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if len(ordering) > 1 and ordering[-1] in ("pk", "-pk") and isinstance(ordering[0], str):
            ordering[-1] = "-pk" if ordering[0].startswith("-") else "pk"
        return ordering


@admin.register(QAPair)
class QAPairAdmin(ReviewQueueAdminMixin, ReadableJSONMixin, ObjectActionsMixin, GovernedHistoryAdmin):
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
    # Choice fields only: a filter on a free-text column (locale, tenant) lists its values with
    # SELECT DISTINCT over the whole table on every page load.
    list_filter = ["review_status", "source"]
    search_fields = ["question"]
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
        "content_hash",
        "quality_score",
        "score_components",
        "flag_list",
        "llm_judge",
        "job",
        "template_version",
        "record_index",
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
        pending = obj.review_status == QAPair.ReviewStatus.PENDING
        return request.user.has_perm(services.REVIEW_PERMISSION) and (pending if name != "reopen" else not pending)

    def save_model(self, request, obj, form, change):
        if change:
            services.qa_pair_edit(pair=obj, acting_user=request.user)
        else:
            services.qa_pair_create(pair=obj, acting_user=request.user)

    def approve(self, request, pair):
        services.qa_pair_approve(pair=pair, acting_user=request.user)
        self.message_user(request, f"Approved #{pair.pk}.", messages.SUCCESS)

    def reopen(self, request, pair):
        services.qa_pair_reopen(pair=pair, acting_user=request.user, reason="reopened in the admin")
        self.message_user(request, f"Reopened #{pair.pk} for review.", messages.SUCCESS)

    def reject(self, request, pair):
        form = RejectForm(request.POST if selected_action_submitted(request) else None)
        if form.is_valid() and self.call_into_form(
            form, services.qa_pair_reject, pair=pair, acting_user=request.user, reason=form.cleaned_data["reason"]
        ):
            self.message_user(request, f"Rejected #{pair.pk}.", messages.SUCCESS)
            return None
        return render_action_form(self, request, title=f"Reject QA pair #{pair.pk}", form=form, submit="Reject")

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
                reason=form.cleaned_data["reason"],
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
        if result.skipped:
            message += f" Skipped {result.skipped} that were no longer pending or that another reviewer has claimed."
        self.message_user(request, message, messages.SUCCESS if result.decided else messages.WARNING)
