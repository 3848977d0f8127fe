"""For the data migrations of the apps that own tenant_id columns: a Tenant for every key in use."""

from .services import tenants_ensure


def tenants_from_column(app_label: str, model_name: str, field: str = "tenant_id"):
    """A RunPython function creating a Tenant for every distinct non-empty `field` of the model."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        keys = model.objects.order_by().values_list(field, flat=True).distinct()
        tenants_ensure(keys, tenant_model=apps.get_model("tenants_app", "Tenant"))

    forwards.__name__ = f"tenants_from_{model_name.lower()}"
    return forwards
