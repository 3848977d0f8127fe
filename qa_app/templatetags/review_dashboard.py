"""`{% review_dashboard %}`: the review figures on the admin index, for users who may view QA pairs."""

from django import template
from django.urls import reverse

from ..selectors import review_dashboard as dashboard_figures

register = template.Library()

VIEW_PERMISSION = "qa_app.view_qapair"
ADJUDICATE_PERMISSION = "qa_app.adjudicate_qapair"


@register.inclusion_tag("admin/qa_app/review_dashboard.html", takes_context=True)
def review_dashboard(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm(VIEW_PERMISSION):
        return {"shown": False}
    figures = dashboard_figures(user=user)
    return {
        "shown": True,
        "figures": figures,
        "pending": figures.by_status.get("pending", 0),
        "awaiting": figures.by_status.get("awaiting_adjudication", 0),
        "pending_url": reverse("admin:qa_app_qapair_changelist") + "?review_status__exact=pending",
        "adjudication_url": reverse("admin:qa_app_qapairawaitingadjudication_changelist")
        if user.has_perm(ADJUDICATE_PERMISSION)
        else "",
        "agreement_url": reverse("admin:qa_app_qapair_agreement"),
    }
