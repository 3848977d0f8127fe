"""Decisions in the admin: the adjudication queue, the reasons offered for rejecting, and every
individual decision (read-only; others' decisions of an open round stay hidden)."""

from django.contrib import admin, messages
from django.db.models import F, Q
from django.urls import reverse
from django.utils.html import format_html

from synthgov.admin_tools import (
    ObjectActionsMixin,
    ReadOnlyAdmin,
    render_action_form,
    selected_action_submitted,
)
from tenants_app.admin_scoping import TenantScopedAdminMixin

from . import services
from .admin import QAPairAdmin, RejectForm
from .decision_display import decision_table
from .models import QAPair, QAPairAwaitingAdjudication, RejectReason, ReviewDecision


@admin.register(QAPairAwaitingAdjudication)
class AdjudicationQueueAdmin(TenantScopedAdminMixin, ObjectActionsMixin, admin.ModelAdmin):
    """Pairs whose two reviewers disagreed: both decisions and reasons side by side, and a final decision."""

    list_display = ["id", "question_preview", "template_version", "first_decision", "second_decision"]
    list_per_page = 50
    object_actions = {"adjudicate_approve": "Approve (final)", "adjudicate_reject": "Reject (final)…"}
    fields = ["question", "answer", "context", "template_version", "job", "decision_list", "flag_list"]
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(review_status=QAPair.ReviewStatus.AWAITING_ADJUDICATION)
            .select_related("template_version__template")
            .prefetch_related("decisions__reviewer")
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(services.ADJUDICATE_PERMISSION)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="question")
    def question_preview(self, pair):
        return pair.question[:100]

    def _round(self, pair):
        return [
            decision
            for decision in pair.decisions.all()
            if decision.round == pair.review_round and not decision.is_adjudication
        ]

    def _decision_cell(self, pair, position: int) -> str:
        decisions = sorted(self._round(pair), key=lambda decision: (decision.decided_at, decision.pk))
        if len(decisions) <= position:
            return "—"
        decision = decisions[position]
        return format_html(
            "<strong>{}</strong> by {}<br>{}",
            decision.get_decision_display(),
            decision.reviewer.get_username(),
            decision.reason or "—",
        )

    @admin.display(description="first decision")
    def first_decision(self, pair):
        return self._decision_cell(pair, 0)

    @admin.display(description="second decision")
    def second_decision(self, pair):
        return self._decision_cell(pair, 1)

    @admin.display(description="decisions")
    def decision_list(self, pair):
        return decision_table(sorted(pair.decisions.all(), key=lambda decision: (decision.decided_at, decision.pk)))

    @admin.display(description="flags")
    def flag_list(self, pair):
        return QAPairAdmin.flag_list(self, pair)

    def object_action_allowed(self, request, obj, name):
        return (
            request.user.has_perm(services.ADJUDICATE_PERMISSION)
            and obj.review_status == QAPair.ReviewStatus.AWAITING_ADJUDICATION
        )

    def change_url(self, obj):
        if obj.review_status != QAPair.ReviewStatus.AWAITING_ADJUDICATION:
            return reverse("admin:qa_app_qapairawaitingadjudication_changelist")
        return super().change_url(obj)

    def adjudicate_approve(self, request, pair):
        services.qa_pair_adjudicate(pair=pair, approve=True, acting_user=request.user)
        self.message_user(request, f"Approved #{pair.pk} (adjudication, final).", messages.SUCCESS)

    def adjudicate_reject(self, request, pair):
        form = RejectForm(request.POST if selected_action_submitted(request) else None)
        if form.is_valid() and QAPairAdmin.call_into_form(
            form, services.qa_pair_adjudicate, pair=pair, approve=False, acting_user=request.user, **form.service_kwargs
        ):
            self.message_user(request, f"Rejected #{pair.pk} (adjudication, final).", messages.SUCCESS)
            return None
        return render_action_form(
            self, request, title=f"Reject QA pair #{pair.pk} (adjudication)", form=form, submit="Reject"
        )


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "active", "order"]
    list_editable = ["active", "order"]
    prepopulated_fields = {"code": ["label"]}
    search_fields = ["label", "code"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(TenantScopedAdminMixin, ReadOnlyAdmin):
    """Every individual decision, read-only; others' decisions of an open round stay hidden (blind)."""

    tenant_field = "pair__tenant_id"

    list_display = ["id", "pair_link", "reviewer", "decision", "reason", "round", "is_adjudication", "decided_at"]
    list_filter = ["decision", "is_adjudication"]
    list_select_related = ["reviewer"]
    show_full_result_count = False

    def get_queryset(self, request):
        hidden = Q(pair__review_status=QAPair.ReviewStatus.PENDING, round=F("pair__review_round")) & ~Q(
            reviewer=request.user
        )
        return super().get_queryset(request).exclude(hidden)

    @admin.display(description="pair")
    def pair_link(self, decision):
        return format_html(
            '<a href="{}">#{}</a>', reverse("admin:qa_app_qapair_change", args=[decision.pair_id]), decision.pair_id
        )
