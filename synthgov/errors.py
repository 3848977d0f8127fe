"""Errors that services raise so every edge (admin, API, command) can report them alike.

Each carries a message a person can act on. The HTTP status is how an API edge maps it.
"""


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, problems: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        # The request field at fault, when one is: the API reports it as {"field": [message]}.
        self.field = field
        # Several fields at fault, each with its own messages: the API reports them as they are.
        self.problems = problems or ({field: [message]} if field else {})


class InvalidInput(DomainError):
    """The request itself is wrong; nothing was changed."""

    http_status = 400


class TransitionRefused(DomainError):
    """The object's current state does not allow the operation."""

    http_status = 409


class PermissionRefused(DomainError):
    """The acting user lacks the permission the operation needs."""

    http_status = 403


PERMISSION_MISSING = (
    "{doing} needs the {permissions} permission; ask an administrator to give you a role (group) that has it."
)


def permission_missing_message(doing: str, *permissions: str) -> str:
    """One wording for every refusal for want of a permission, naming it as `app_label.codename`."""
    return PERMISSION_MISSING.format(doing=doing, permissions=" and ".join(f"'{name}'" for name in permissions))


def require_permission(user, permission: str, *, doing: str) -> None:
    """Raise PermissionRefused, naming the permission, unless `user` has it."""
    if not user.has_perm(permission):
        raise PermissionRefused(permission_missing_message(doing, permission))
