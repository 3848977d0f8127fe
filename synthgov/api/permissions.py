"""The same Django model permissions the admin and the services check.

Plain resources (taxonomy, templates) are written directly, so their writes need the model's
add/change/delete permission, as in the admin. Governed resources change state only through
services, which check their own permissions and refuse with a message (403); the API asks only
that the caller may see the model.
"""

from rest_framework.permissions import DjangoModelPermissions

from synthgov.errors import permission_missing_message

VIEW = ["%(app_label)s.view_%(model_name)s"]


class _NamesWhatIsMissing(DjangoModelPermissions):
    """Refusals say which permission is missing, so the caller knows what to ask for."""

    def has_permission(self, request, view):
        allowed = super().has_permission(request, view)
        if not allowed and request.user and request.user.is_authenticated:
            needed = self.get_required_permissions(request.method, self._queryset(view).model)
            missing = [permission for permission in needed if not request.user.has_perm(permission)]
            self.message = permission_missing_message("This", *missing)
        return allowed


class ModelPermissions(_NamesWhatIsMissing):
    """Reads need the view permission; writes need add, change or delete."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": VIEW,
        "HEAD": VIEW,
        "OPTIONS": VIEW,
    }


class ViewThenServices(_NamesWhatIsMissing):
    """Every request needs the view permission; what a write needs beyond it, its service decides."""

    perms_map = dict.fromkeys(["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"], VIEW)


def can_view(model) -> type[ViewThenServices]:
    """ViewThenServices for another model than the view's own (a nested list such as a job's rejected records)."""

    class CanView(ViewThenServices):
        def _queryset(self, view):
            return model._default_manager.all()

    CanView.__name__ = f"CanView{model.__name__}"
    return CanView
