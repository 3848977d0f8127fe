"""The tenant field of admin forms: a choice of the tenants the user sees, never free text."""

from django import forms

from .scoping import sees_all_tenants
from .selectors import tenant_choices


def tenant_choice_field(**kwargs) -> forms.ChoiceField:
    """The field itself; its choices are set per request by `offer_tenants`."""
    return forms.ChoiceField(label=kwargs.pop("label", "Tenant"), **kwargs)


def offer_tenants(field: forms.ChoiceField, user, *, no_tenant: str | None = None) -> None:
    """Let `field` offer the tenants `user` sees, preset when there is one. With `no_tenant` (the
    label of an empty choice, e.g. "every tenant"), users who see every tenant may also pick none."""
    keys = tenant_choices(user)
    choices = [(key, key) for key in keys]
    if no_tenant and sees_all_tenants(user):
        choices.insert(0, ("", no_tenant))
    field.choices = choices
    # Without the empty choice, an empty answer is a form error here rather than a refusal from
    # the service after the form was accepted.
    if not any(key == "" for key, _ in choices):
        field.required = True
    if len(keys) == 1 and not field.initial:
        field.initial = keys[0]


def with_tenant_choices(form_class, user, no_tenant: str | None = None):
    """A ModelAdmin's form class whose `tenant_id` offers the tenants `user` sees (for
    `get_form`; a subclass per request, so no request changes the shared field). A form without
    the field (read-only for this user) is returned as it is."""
    if "tenant_id" not in form_class.base_fields:
        return form_class

    class TenantChoiceForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            offer_tenants(self.fields["tenant_id"], user, no_tenant=no_tenant)

    return TenantChoiceForm
