import argparse
import json
import threading
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from jobs_app.models import GenerationJob, TargetSurface
from jobs_app.services import JobRequest, job_run, job_trigger
from synthgov.errors import DomainError
from templates_app.models import TemplateVersion
from templates_app.selectors import TemplateVersionMissing, template_version_by_key

POLL_SECONDS = 0.5


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


class Command(BaseCommand):
    help = (
        "Trigger a generation job and follow it with a progress bar. The job runs on the q2 cluster "
        "(start one with `manage.py qcluster`), or in this process with --inline."
    )

    def add_arguments(self, parser):
        parser.add_argument("template", help="template key")
        parser.add_argument("--revision", type=int, help="version number (default: the current approved version)")
        parser.add_argument("--records", type=int, required=True, help="record_count")
        parser.add_argument("--user", required=True, help="username the job is triggered as (needs the permission)")
        parser.add_argument("--tenant", default="default", help="tenant_id")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--locale", default="en", help="BCP 47 tag, e.g. en, de-CH")
        parser.add_argument("--surface", default=TargetSurface.TRAINING, choices=TargetSurface.values)
        parser.add_argument("--subchapter", default="", help="subchapter key (default: the template's)")
        parser.add_argument("--preview", action="store_true", help="non-production run (allowed on a draft)")
        parser.add_argument("--idempotency-key", default="")
        parser.add_argument("--generator", default="template", help="backend: template (default) or openai")
        parser.add_argument(
            "--generator-config",
            type=json_object,
            default=None,
            help='JSON object, e.g. \'{"profile": "local-vllm"}\' or \'{"judge_profile": "judge"}\'',
        )
        parser.add_argument("--inline", action="store_true", help="run the job in this process, not on the cluster")
        parser.add_argument("--no-follow", action="store_true", help="print the job id and return at once")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}; pass an existing username with --user.")
        version = self._version(options["template"], options["revision"])
        request = JobRequest(
            template_version=version,
            tenant_id=options["tenant"],
            record_count=options["records"],
            target_surface=options["surface"],
            seed=options["seed"],
            locale=options["locale"],
            production=not options["preview"],
            subchapter_key=options["subchapter"],
            idempotency_key=options["idempotency_key"],
            generator=options["generator"],
            generator_config=options["generator_config"],
        )
        try:
            job, created = job_trigger(request=request, acting_user=user)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Job {job.pk} {'created' if created else 'already exists (same idempotency key)'}.")
        if options["no_follow"]:
            return
        worker = None
        if options["inline"]:
            worker = threading.Thread(target=self._run_inline, args=(job.pk,), daemon=True)
            worker.start()
        job = self._follow(job)
        if worker is not None:
            worker.join()
            job.refresh_from_db()
        self._report(job)

    def _version(self, template_key: str, revision: int | None) -> TemplateVersion:
        try:
            return template_version_by_key(
                key=template_key, revision=revision, queryset=TemplateVersion.objects.select_related("template")
            )
        except TemplateVersionMissing as missing:
            hint = " Pass --revision N." if missing.template_exists else ""
            raise CommandError(missing.message + hint) from None

    @staticmethod
    def _run_inline(job_id: int) -> None:
        try:
            job_run(job_id=job_id)
        finally:
            connection.close()

    def _follow(self, job: GenerationJob) -> GenerationJob:
        with tqdm(total=job.record_count, unit="rec", desc=f"job {job.pk}") as bar:
            while True:
                job.refresh_from_db()
                # The counts first, without a redraw: the bar's update then shows them with its own progress.
                bar.set_postfix(
                    accepted=job.accepted_records, rejected=job.rejected_records, status=job.status, refresh=False
                )
                bar.update(job.processed_records - bar.n)
                if job.is_finished:
                    return job
                time.sleep(POLL_SECONDS)

    def _report(self, job: GenerationJob) -> None:
        summary = (
            f"Job {job.pk} {job.status}: {job.accepted_records} accepted, {job.rejected_records} rejected, "
            f"{job.duplicate_records} duplicates of {job.record_count}."
        )
        if job.status != GenerationJob.Status.SUCCEEDED:
            raise CommandError(f"{summary} {job.error}".strip())
        self.stdout.write(self.style.SUCCESS(summary))
