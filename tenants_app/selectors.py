from .models import Tenant
from .scoping import for_user


def tenant_choices(user) -> list[str]:
    """The keys of the tenants `user` may pick in a form (every tenant for a view-all user)."""
    return list(for_user(Tenant.objects.order_by("key"), user, "key").values_list("key", flat=True))
