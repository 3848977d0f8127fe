from django.db import migrations, models

from tenants_app.migration_helpers import tenants_from_column


class Migration(migrations.Migration):
    dependencies = [
        ("qa_app", "0011_pending_per_tenant_index"),
        ("tenants_app", "0001_initial"),
    ]

    operations = [
        # A member's pair list (admin and API, by id) reads one range of this index.
        migrations.AddIndex(
            model_name="qapair",
            index=models.Index(fields=["tenant_id", "id"], name="qa_pair_by_tenant"),
        ),
        # Every tenant_id already stored becomes a Tenant (key and name the stored value).
        migrations.RunPython(tenants_from_column("qa_app", "QAPair"), migrations.RunPython.noop),
        migrations.RunPython(tenants_from_column("qa_app", "ImportRun"), migrations.RunPython.noop),
    ]
