"""Give a user one of the role groups, e.g. `manage.py grant_role alice Reviewers --tenant acme`."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from synthgov.errors import DomainError
from synthgov.roles import ROLES, role_grant
from tenants_app.services import tenant_membership_add, tenant_require


class Command(BaseCommand):
    help = f"Give USERNAME a role: {', '.join(ROLES)}."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help=f"one of: {', '.join(ROLES)}")
        parser.add_argument(
            "--create", action="store_true", help="Create the user when missing (a password is generated and shown)."
        )
        parser.add_argument(
            "--tenant",
            action="append",
            default=[],
            metavar="KEY",
            help="Also make the user a member of this tenant (repeatable); the tenant must exist.",
        )

    def handle(self, *args, username, role, create=False, tenant=(), **options):
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        password = None
        if user is None and not create:
            raise CommandError(f"No user {username!r}; pass --create to create one, or add them in the admin first.")
        if role not in ROLES:
            raise CommandError(f"No role {role!r}; the roles are: {', '.join(ROLES)}.")
        tenants = []
        for key in tenant:
            try:
                tenants.append(tenant_require(acting_user=None, key=key, field="--tenant"))
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        if user is None:
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_user(username, password=password)
        try:
            granted = role_grant(user=user, role=role)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if password:
            self.stdout.write(f"Created user {username!r} with password '{password}'.")
        self.stdout.write(f"{username} {'now has' if granted else 'already had'} the role {role!r}.")
        for found in tenants:
            _, added = tenant_membership_add(acting_user=None, tenant=found, user=user)
            self.stdout.write(f"{username} {'is now' if added else 'was already'} a member of tenant {found.key!r}.")
