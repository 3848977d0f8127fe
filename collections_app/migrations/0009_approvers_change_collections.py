from django.db import migrations

from synthgov.roles import ensure_roles_in_migration


def update_roles(apps, schema_editor):
    ensure_roles_in_migration(apps)


def tenant_from_members(apps, schema_editor):
    """Collections older than the tenant rule take the tenant of their members when they all share
    one. Those mixing tenants stay without one (their releases leave every member out as
    other_tenant) until an approver makes them cross-tenant or gives them a tenant: crossing
    tenants is an approver's decision, not a migration's."""
    Collection = apps.get_model("collections_app", "Collection")
    Membership = apps.get_model("collections_app", "Membership")
    for collection in Collection.objects.filter(tenant_id="", cross_tenant=False):
        tenants = list(
            Membership.objects.filter(collection=collection)
            .values_list("qa_pair__tenant_id", flat=True)
            .order_by()
            .distinct()[:2]
        )
        if len(tenants) == 1:
            Collection.objects.filter(pk=collection.pk).update(tenant_id=tenants[0])


class Migration(migrations.Migration):
    """Approvers change collections (the synthetic wall, PII and cross-tenant settings are theirs);
    collections older than the tenant rule take their members' tenant."""

    dependencies = [
        ("collections_app", "0008_membership_fill"),
    ]

    operations = [
        migrations.RunPython(update_roles, migrations.RunPython.noop),
        migrations.RunPython(tenant_from_members, migrations.RunPython.noop),
    ]
