"""Migrate, load the demo data and make sure an admin account exists. Safe to run twice."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from synthgov.demo import finish_demo_job, load_demo

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Migrate the database, load demo data and create the admin account (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Skip the demo data.")

    def handle(self, *args, no_demo=False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        admin, password = self._ensure_admin()
        if not no_demo:
            result = load_demo(approver=admin)
            finish_demo_job()
            self.stdout.write(
                f"Demo data: {result['templates_created']} new template(s); demo job {result['job']} finished."
            )
        self.stdout.write(self.style.SUCCESS(f"Admin account: username '{ADMIN_USERNAME}', password '{password}'"))

    def _ensure_admin(self):
        """Create the superuser once; its password is kept under var/ so it can be shown again."""
        password_file = settings.VAR_DIR / "admin-password.txt"
        user_model = get_user_model()
        admin = user_model.objects.filter(username=ADMIN_USERNAME).first()
        if admin and password_file.exists():
            return admin, password_file.read_text().strip()
        password = secrets.token_urlsafe(12)
        if admin is None:
            admin = user_model.objects.create_superuser(ADMIN_USERNAME, "admin@localhost", password)
        else:
            admin.set_password(password)
            admin.save()
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        return admin, password
