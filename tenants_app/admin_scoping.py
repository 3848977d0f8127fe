"""The admin side of tenant scoping: every ModelAdmin of a tenant-owned model mixes this in.

`get_queryset` is what the changelist, the change and delete pages, changelist actions,
autocomplete (through get_search_results' queryset), object buttons and progress views read;
so another tenant's row is "not found" everywhere. History pages are checked too:
simple-history would otherwise fall back to the history rows of an object it cannot find.
"""

from django.contrib.admin import RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.http import Http404

from .scoping import for_user, tenant_keys_visible_to


class TenantScopedAdminMixin:
    # The lookup path from the admin's model to the tenant key.
    tenant_field = "tenant_id"

    def get_queryset(self, request):
        return for_user(super().get_queryset(request), request.user, self.tenant_field)

    def _require_visible(self, request, object_id) -> None:
        if tenant_keys_visible_to(request.user) is None:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404(f"No {self.opts.verbose_name} with id {object_id!r}.")

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class TenantScopedRelatedFilter(RelatedFieldListFilter):
    """A list filter on a foreign key to a tenant-owned model (e.g. a rejected artifact's job) that
    offers only the related rows of the user's tenants; the stock filter would list every tenant's."""

    related_tenant_field = "tenant_id"

    def field_choices(self, field, request, model_admin):
        related = for_user(field.related_model._default_manager.all(), request.user, self.related_tenant_field)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            related = related.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in related[: self.max_choices]]

    # The newest this many: a filter sidebar is no place for thousands of jobs.
    max_choices = 200
