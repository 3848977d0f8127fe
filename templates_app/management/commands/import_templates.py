from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from synthgov.errors import DomainError
from templates_app.files import import_templates, read_documents


class Command(BaseCommand):
    help = (
        "Read template YAML files back as drafts. Approved and archived versions are never changed; "
        "changed content becomes a new draft that still needs an approver."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--author", required=True, help="username recorded as the author of new drafts")

    def handle(self, *args, directory: Path, author: str, **options):
        user = get_user_model().objects.filter(username=author).first()
        if user is None:
            raise CommandError(f"No user named {author!r}; pass an existing username with --author.")
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        try:
            result = import_templates(read_documents(directory), acting_user=user)
        except DomainError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.templates_created)} template(s) created, {len(result.drafts_created)} draft(s) created, "
                f"{len(result.drafts_updated)} draft(s) updated, {result.unchanged} version(s) unchanged."
            )
        )
        for label in result.drafts_created + result.drafts_updated:
            self.stdout.write(f"  draft: {label}")
