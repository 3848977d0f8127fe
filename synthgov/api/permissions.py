"""The same Django model permissions the admin and the services check.

Plain resources (taxonomy, templates) are written directly, so their writes need the model's
add/change/delete permission, as in the admin. Governed resources change state only through
services, which check their own permissions and refuse with a message (403); the API asks only
that the caller may see the model.
"""

from rest_framework.permissions import DjangoModelPermissions

VIEW = ["%(app_label)s.view_%(model_name)s"]


class ModelPermissions(DjangoModelPermissions):
    """Reads need the view permission; writes need add, change or delete."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": VIEW,
        "HEAD": VIEW,
        "OPTIONS": VIEW,
    }


class ViewThenServices(DjangoModelPermissions):
    """Every request needs the view permission; what a write needs beyond it, its service decides."""

    perms_map = dict.fromkeys(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"], VIEW)


def can_view(model) -> type[DjangoModelPermissions]:
    """ViewThenServices for another model than the view's own (a nested list such as a job's rejected records)."""

    class CanView(ViewThenServices):
        def _queryset(self, view):
            return model._default_manager.all()

    CanView.__name__ = f"CanView{model.__name__}"
    return CanView
