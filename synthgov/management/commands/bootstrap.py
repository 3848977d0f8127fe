"""Migrate, load the demo data and make sure an admin account exists. Safe to run twice."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from synthgov.demo import DEMO_PASSWORD_FILE, DEMO_USERS, demo_password, finish_demo_job, load_demo

ADMIN_USERNAME = "admin"


def shown_path(path: Path) -> str:
    """A path as a person at the project root would type it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


class Command(BaseCommand):
    help = "Migrate the database, load demo data and create the admin account (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Skip the demo data and the demo users.")

    def handle(self, *args, no_demo=False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        password = self._ensure_admin()
        if no_demo:
            pass
        elif not settings.DEBUG:
            # Demo users with a password in a file are for trying synthgov out, never for production.
            self.stdout.write("Demo data and demo users skipped: DEBUG is off (production settings).")
        else:
            self._load_demo()
        self.stdout.write(self.style.SUCCESS(f"Admin account: username '{ADMIN_USERNAME}', password '{password}'"))
        self.stdout.write(
            "Give a colleague a role: .venv/bin/python manage.py grant_role USERNAME 'Reviewers' "
            "(roles: Template authors, Approvers, Operators, Reviewers, Curators, API clients), "
            "or in the admin: Users › the user › Groups."
        )

    def _load_demo(self):
        outcome = load_demo()
        job = finish_demo_job(outcome.job)
        created = ", ".join(outcome.templates_created) or "none (all there already)"
        self.stdout.write(f"Demo data: new templates: {created}.")
        if job is not None:
            self.stdout.write(f"Demo job {job.pk}: {job.get_status_display()}.")
        for note in outcome.notes:
            self.stdout.write(note)
        users = ", ".join(f"{username} ({role})" for username, role in DEMO_USERS.items())
        kept_in = shown_path(settings.VAR_DIR / DEMO_PASSWORD_FILE)
        self.stdout.write(f"Demo users, each with password '{demo_password()}' (kept in {kept_in}): {users}.")

    def _ensure_admin(self):
        """Create the superuser once; its password is kept under var/ so it can be shown again."""
        password_file = settings.VAR_DIR / "admin-password.txt"
        user_model = get_user_model()
        admin = user_model.objects.filter(username=ADMIN_USERNAME).first()
        if admin and password_file.exists():
            return password_file.read_text().strip()
        password = secrets.token_urlsafe(12)
        if admin is None:
            admin = user_model.objects.create_superuser(ADMIN_USERNAME, "admin@localhost", password)
        else:
            admin.set_password(password)
            admin.save()
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        return password
