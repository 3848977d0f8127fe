import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from qa_app.imports.shapes import SHAPES
from qa_app.models import ImportRun
from qa_app.services.imports import ImportRequest, import_run_create, import_run_enqueue, import_run_process
from synthgov.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import a JSONL (optionally gzip), CSV or Parquet file of existing QA data as `imported` pairs, "
        "pending review. Runs in this process with a progress bar, or on the q2 cluster with --queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the file to import")
        parser.add_argument("--user", required=True, help="username the import runs as (needs qa_app.add_importrun)")
        parser.add_argument("--tenant", required=True, help="tenant_id of the pairs")
        parser.add_argument("--format", default="", choices=["", *ImportRun.Format.values], help="default: detected")
        parser.add_argument("--shape", default="", choices=["", *SHAPES], help="default: detected")
        parser.add_argument(
            "--mapping", default="", help='field names, e.g. \'{"question": "prompt", "answer": "completion"}\''
        )
        parser.add_argument("--locale", default="", help="BCP 47 tag of every pair (default: detected per line)")
        parser.add_argument("--chapter", default="", help="chapter key of every pair")
        parser.add_argument("--subchapter", default="", help="subchapter key of every pair")
        parser.add_argument("--chapter-field", default="", help="take each pair's chapter key from this field")
        parser.add_argument("--idempotency-key", default="")
        parser.add_argument("--approve", action="store_true", help="approve the pairs (qa_app.approve_on_import)")
        parser.add_argument("--reason", default="", help="why they are approved on import (required with --approve)")
        parser.add_argument("--queue", action="store_true", help="run on the q2 cluster and return at once")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}; pass an existing username with --user.")
        request = ImportRequest(
            tenant_id=options["tenant"],
            file_format=options["format"],
            shape=options["shape"],
            mapping=self._mapping(options["mapping"]),
            locale=options["locale"],
            chapter_key=options["chapter"],
            subchapter_key=options["subchapter"],
            chapter_field=options["chapter_field"],
            idempotency_key=options["idempotency_key"],
            approve=options["approve"],
            approval_reason=options["reason"],
        )
        try:
            run, created = import_run_create(
                request=request, acting_user=user, command_line_file=Path(options["file"]), enqueue=False
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not created:
            self.stdout.write(f"Import {run.pk} already ran for this file and key: {self._summary(run)}")
            return
        self.stdout.write(f"Import {run.pk}: {run.file_name} ({run.file_format}, {run.shape}).")
        if options["queue"]:
            import_run_enqueue(run_id=run.pk)
            self.stdout.write("Queued on the q2 cluster; follow it in the admin or at /api/v1/imports/.")
            return
        with tqdm(desc="lines", unit="line", disable=None) as bar:
            run = import_run_process(run_id=run.pk, progress=lambda done: bar.update(done - bar.n))
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"Import {run.pk} failed: {run.error}")
        self.stdout.write(self._summary(run))

    @staticmethod
    def _mapping(text: str) -> dict | None:
        if not text:
            return None
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--mapping is not valid JSON ({exc}).") from exc
        return mapping

    @staticmethod
    def _summary(run: ImportRun) -> str:
        return (
            f"{run.status}: {run.lines_done:,} lines, {run.imported:,} imported, {run.duplicates:,} duplicates, "
            f"{run.errors:,} line errors."
        )
