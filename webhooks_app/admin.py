"""Webhook endpoints (add, change, send a test event) and their delivery log (read-only, retry now).

The signing secret is shown once, on the page right after an endpoint is added; no page shows it
again. Saves, deletes, tests and retries go through webhooks_app.services.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from synthgov.admin_tools import (
    GovernedHistoryAdmin,
    LargeTablePaginator,
    ReadableJSONMixin,
    ReadOnlyAdmin,
    reported_to,
)
from synthgov.errors import DomainError
from tenants_app.admin_scoping import TenantScopedAdminMixin, TenantScopedRelatedFilter
from tenants_app.forms import tenant_choice_field, with_tenant_choices

from . import services
from .events import EVENTS
from .models import MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, WebhookAttempt, WebhookDelivery, WebhookEndpoint

SECRET_HIDDEN = "Hidden. It was shown once, when the endpoint was added."
EVERY_TENANT = "every tenant (needs the right to see every tenant)"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.CharField(
        max_length=MAX_URL_CHARS,
        label="URL",
        widget=forms.URLInput(attrs={"size": 80}),
        help_text="http(s) URL that receives a signed POST per event.",
    )
    events = forms.MultipleChoiceField(
        choices=[(event, f"{event} — {text}") for event, text in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(max_length=MAX_DESCRIPTION_CHARS, required=False, widget=forms.Textarea)
    # Choices are the user's tenants, set per request by the admin (see WebhookEndpointAdmin.get_form).
    tenant_id = tenant_choice_field(
        required=False, help_text="Only this tenant's events (and the shared template events)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "tenant_id", "description", "active"]

    def clean(self):
        cleaned = super().clean()
        problems = services.endpoint_problems(
            url=cleaned.get("url") or "",
            events=cleaned.get("events") or [],
            description=cleaned.get("description") or "",
            tenant_id=cleaned.get("tenant_id") or "",
        )
        for field, message in problems.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return cleaned


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["delivery_link", "event", "subject", "status", "attempts", "next_attempt_at", "created_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "latest deliveries"

    def get_queryset(self, request):
        # The newest 20; the full log is one link away (the "deliveries" field).
        queryset = super().get_queryset(request)
        newest = list(queryset.order_by("-pk").values_list("pk", flat=True)[:20])
        return queryset.filter(pk__in=newest)

    @admin.display(description="delivery")
    def delivery_link(self, delivery):
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:webhooks_app_webhookdelivery_change", args=[delivery.pk]),
            delivery.pk,
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdminMixin, GovernedHistoryAdmin):
    form = WebhookEndpointForm
    list_display = ["__str__", "event_list", "tenant_id", "active", "delivery_counts", "created_at"]
    list_filter = ["active", "tenant_id"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret_display", "disabled_reason", "deliveries_link", "created_by", "created_at"]
    inlines = [WebhookDeliveryInline]
    actions = ["send_test_event"]

    def get_fieldsets(self, request, obj=None):
        fields = ["url", "events", "tenant_id", "description", "active"]
        if obj is not None:
            fields += self.readonly_fields
        return [(None, {"fields": fields})]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        return with_tenant_choices(super().get_form(request, obj, change=change, **kwargs), request.user, EVERY_TENANT)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(delivery_count=Count("deliveries"))

    @admin.display(description="events")
    def event_list(self, endpoint):
        return ", ".join(endpoint.events)

    @admin.display(description="deliveries", ordering="delivery_count")
    def delivery_counts(self, endpoint):
        url = reverse("admin:webhooks_app_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">{}</a>', url, endpoint.delivery_count)

    @admin.display(description="secret")
    def secret_display(self, endpoint):
        return SECRET_HIDDEN

    @admin.display(description="deliveries")
    def deliveries_link(self, endpoint):
        url = reverse("admin:webhooks_app_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        counts = dict(endpoint.deliveries.values_list("status").annotate(count=Count("pk")).order_by())
        if not counts:
            return "none yet"
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ", ".join(
                f"{counts[status]} {label.lower()}"
                for status, label in WebhookDelivery.Status.choices
                if counts.get(status)
            ),
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {name: data[name] for name in ("url", "events", "tenant_id", "description", "active")}
        if change:
            saved = services.webhook_endpoint_update(endpoint=obj, acting_user=request.user, **fields)
        else:
            saved, secret = services.webhook_endpoint_create(acting_user=request.user, **fields)
            request._webhook_secret = secret
        obj.pk = saved.pk
        obj.__dict__.update({key: value for key, value in saved.__dict__.items() if not key.startswith("_")})

    def response_add(self, request, obj, post_url_continue=None):
        """The one page that shows the secret: right after the endpoint was added."""
        secret = getattr(request, "_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"Webhook endpoint {obj.pk} was added.", messages.SUCCESS)
        context = {
            **self.admin_site.each_context(request),
            "title": "Copy the signing secret now",
            "opts": self.opts,
            "endpoint": obj,
            "secret": secret,
            "change_url": reverse("admin:webhooks_app_webhookendpoint_change", args=[obj.pk]),
        }
        # Admin views are never cached (Cache-Control: no-store), this page included.
        return TemplateResponse(request, "admin/webhooks_app/secret_once.html", context)

    def delete_model(self, request, obj):
        services.webhook_endpoint_delete(endpoint=obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_delete(endpoint=endpoint, acting_user=request.user)

    @admin.action(description="Send a test event to the selected endpoints", permissions=["change"])
    def send_test_event(self, request, queryset):
        sent = 0
        for endpoint in queryset:
            with reported_to(request, self):
                services.webhook_endpoint_send_test(endpoint=endpoint, acting_user=request.user)
                sent += 1
        if sent:
            self.message_user(
                request,
                f"A webhook.test event was queued for {sent} endpoint(s); see their deliveries.",
                messages.SUCCESS,
            )


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "at", "status_code", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantScopedAdminMixin, ReadableJSONMixin, ReadOnlyAdmin):
    # A delivery is seen by whoever sees its endpoint.
    tenant_field = "endpoint__tenant_id"
    # The log grows with every event: no COUNT(*) of it per page.
    paginator = LargeTablePaginator
    list_display = ["__str__", "subject", "endpoint", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", "event", ("endpoint", TenantScopedRelatedFilter)]
    list_select_related = ["endpoint"]
    search_fields = ["subject", "webhook_id"]
    fields = [
        "endpoint",
        "event",
        "subject",
        "tenant_id",
        "webhook_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "created_at",
        "finished_at",
        "payload",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    def has_retry_permission(self, request):
        return request.user.has_perm(services.RETRY_PERMISSION)

    @admin.action(description="Retry the selected deliveries now", permissions=["retry"])
    def retry_now(self, request, queryset):
        queued = 0
        for delivery in queryset:
            try:
                services.webhook_delivery_retry(delivery=delivery, acting_user=request.user)
                queued += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        if queued:
            self.message_user(request, f"{queued} deliveries queued to be sent now.", messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(TenantScopedAdminMixin, ReadOnlyAdmin):
    tenant_field = "delivery__endpoint__tenant_id"
    paginator = LargeTablePaginator
    list_display = ["__str__", "at", "status_code", "latency_ms", "short_error"]
    list_filter = ["status_code"]
    list_select_related = ["delivery"]
    fields = ["delivery", "number", "at", "status_code", "latency_ms", "response_excerpt", "error"]
    readonly_fields = fields

    @admin.display(description="error")
    def short_error(self, attempt):
        return attempt.error[:120]
