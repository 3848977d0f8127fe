from django.db import migrations

from tenants_app.migration_helpers import tenants_from_column


class Migration(migrations.Migration):
    dependencies = [
        ("jobs_app", "0008_adaptive_concurrency_early_stop"),
        ("tenants_app", "0001_initial"),
    ]

    # Every tenant_id already stored becomes a Tenant (key and name the stored value).
    operations = [migrations.RunPython(tenants_from_column("jobs_app", "GenerationJob"), migrations.RunPython.noop)]
