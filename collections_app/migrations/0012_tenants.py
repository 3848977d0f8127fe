from django.db import migrations

from tenants_app.migration_helpers import tenants_from_column


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0011_roles_webhooks"),
        ("tenants_app", "0001_initial"),
    ]

    # Every tenant_id already stored becomes a Tenant (cross-tenant collections have none).
    operations = [migrations.RunPython(tenants_from_column("collections_app", "Collection"), migrations.RunPython.noop)]
