from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from collections_app.exporters import EXPORTERS, clean_formats
from collections_app.services import release_by_label, release_export
from synthgov.errors import DomainError


class Command(BaseCommand):
    help = (
        "Write a published release in one format (any registered format, released in it or not) to a "
        "directory: <format>/<split>.<extension> and a dataset card README.md. Reads the release's frozen "
        "items, so the same release exported again gives the same bytes."
    )

    def add_arguments(self, parser):
        parser.add_argument("release", help="<collection-slug>:v<N> (e.g. maths:v3) or the release id")
        parser.add_argument("--format", required=True, dest="format_key", help=f"one of {', '.join(EXPORTERS)}")
        parser.add_argument("--to", required=True, dest="directory", help="directory to write to (empty or new)")
        parser.add_argument("--force", action="store_true", help="write into a directory that already holds files")

    def handle(self, *args, **options):
        try:
            clean_formats([options["format_key"]], field="format")
            release = release_by_label(options["release"])
            total = sum(release.manifest.get("splits", {}).values()) or release.manifest.get("rows")
            with tqdm(total=total, unit="rows", desc=f"{release} {options['format_key']}", disable=None) as bar:
                files = release_export(
                    release=release,
                    format=options["format_key"],
                    directory=options["directory"],
                    force=options["force"],
                    progress=bar.update,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for entry in files:
            rows = f"{entry['rows']} rows" if entry["rows"] is not None else "dataset card"
            self.stdout.write(f"{entry['name']}  {rows}  {entry['bytes']} bytes  sha256 {entry['sha256']}")
