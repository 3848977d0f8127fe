"""Tenants and who belongs to them.

Tenant-owned rows (jobs, pairs, import runs, collections) keep their `tenant_id` column: it holds
a Tenant's `key`. A column rather than a foreign key keeps the COPY-speed insert paths and the
million-row tables as they are; `tenants_app.services.tenant_require` is what lets no new key
appear outside this table.

A membership has no role of its own: what a person may do is their groups' permissions (one
permission system for admin, API and services); a membership says whose data they do it on.
"""

from django.conf import settings
from django.core.validators import validate_slug
from django.db import models
from simple_history.models import HistoricalRecords

KEY_MAX_LENGTH = 100  # the length of every tenant_id column


class Tenant(models.Model):
    key = models.CharField(
        max_length=KEY_MAX_LENGTH,
        unique=True,
        validators=[validate_slug],
        help_text="The value of tenant_id on every row the tenant owns (letters, digits, - and _).",
    )
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        permissions = [("view_all_tenants", "Can see every tenant's data (without being a member)")]

    def __str__(self) -> str:
        return self.key


class TenantMembership(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["tenant__key", "user__username"]
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="tenant_membership_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant}"
