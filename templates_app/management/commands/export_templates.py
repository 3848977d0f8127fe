from pathlib import Path

from django.core.management.base import BaseCommand

from templates_app.files import export_templates


class Command(BaseCommand):
    help = "Write every prompt template with all its versions as YAML, one file per template."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        written = export_templates(directory)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(written)} template file(s) to {directory}."))
