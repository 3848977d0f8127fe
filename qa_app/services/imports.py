"""Importing existing QA data: a file becomes `imported` pairs, governed like generated ones.

`import_run_create` checks the request, keeps the file (an upload under MEDIA_ROOT/imports/, or a
path under SYNTHGOV_IMPORT_DIR), hashes it, detects its format and shape, and queues the run.
`import_run_process` (the q2 task) reads it in batches of SYNTHGOV_IMPORT_BATCH_SIZE lines; each
batch goes through the assessment generated pairs get (completeness, PII and locale in
`qa_app.imports.checking`; exact and near duplicates within the tenant and the quality score in
`import_batches`), is inserted at COPY speed (`synthetic_pairs_insert`), and is committed with its
line issues and the run's progress in one transaction. While PostgreSQL inserts a batch's pairs (with their
search documents, most of its time) the next batch is read and checked. A killed worker's run
resumes after its last committed batch (the sweep `import_runs_resume_stale` re-queues it), and
every line ends with exactly one outcome: a pair (lineage names the line), a duplicate (naming the
pair that holds the content) or a line error.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from synthgov.bulk import Meanwhile
from synthgov.errors import InvalidInput, TransitionRefused, require_permission
from synthgov.history import clean_reason, record_change
from templates_app.selectors import taxonomy_keys_unknown
from tenants_app.services import tenant_require, tenant_require_visible

from ..assessment import NearDuplicateIndex
from ..imports.checking import checked_batches
from ..imports.readers import UnreadableFile, count_lines, detect_format, read_lines
from ..imports.shapes import SHAPES, check_mapping, detect_shape
from ..models import ImportRun
from ..webhook_events import announce_finished
from .import_batches import import_batch_commit

IMPORT_PERMISSION = "qa_app.add_importrun"
CANCEL_PERMISSION = "qa_app.cancel_importrun"
APPROVE_PERMISSION = "qa_app.approve_on_import"
SHAPE_SAMPLE_LINES = 20
APPROVAL_NEEDS_REASON = (
    "Approving pairs as they are imported needs a reason (who curated this set, and how); it is kept "
    "with every pair's decision."
)


@dataclass(frozen=True)
class ImportRequest:
    """What a curator asks for; empty format and shape are detected from the file."""

    tenant_id: str
    file_name: str = ""
    file_format: str = ""
    shape: str = ""
    mapping: dict | None = None
    locale: str = ""
    chapter_key: str = ""
    subchapter_key: str = ""
    chapter_field: str = ""
    idempotency_key: str = ""
    approve: bool = False
    approval_reason: str = ""


def allowed_import_path(path: str) -> Path:
    """The server-side file at `path` when it lies under SYNTHGOV_IMPORT_DIR; InvalidInput otherwise."""
    root = Path(settings.SYNTHGOV_IMPORT_DIR).resolve()
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root):
        raise InvalidInput(
            f"{path} is outside the import directory {root} (SYNTHGOV_IMPORT_DIR); put the file there.",
            field="path",
        )
    if not resolved.is_file():
        raise InvalidInput(f"No file at {resolved}.", field="path")
    return resolved


def import_run_create(
    *,
    request: ImportRequest,
    acting_user,
    path: str = "",
    upload=None,
    command_line_file: Path | None = None,
    enqueue: bool = True,
) -> tuple[ImportRun, bool]:
    """Create and queue an import of one file: a server-side `path` (under SYNTHGOV_IMPORT_DIR), an
    uploaded file object (`upload`), or a `command_line_file` that a user of the server's shell
    named (import_pairs). Returns (run, created); the same file with the same idempotency key
    returns the earlier run."""
    require_permission(acting_user, IMPORT_PERMISSION, doing="Importing QA pairs")
    approval_reason = _approval_reason(request, acting_user)
    _refuse_bad_request(request)
    tenant_require(acting_user=acting_user, key=request.tenant_id)
    if sum(bool(given) for given in (path, upload is not None, command_line_file)) != 1:
        raise InvalidInput("Give either a file to upload or a path under SYNTHGOV_IMPORT_DIR.", field="file")
    if command_line_file:
        if not command_line_file.is_file():
            raise InvalidInput(f"No file at {command_line_file}.", field="file")
        path = str(command_line_file.resolve())
        source = Path(path)
    if path:
        source = source if command_line_file else allowed_import_path(path)
        digest, size = _hash_file(source)
        file_name = request.file_name or source.name
    else:
        source, digest, size = _keep_upload(upload)
        file_name = request.file_name or Path(getattr(upload, "name", "") or "upload").name
    created = False
    try:
        if request.idempotency_key:
            earlier = ImportRun.objects.filter(
                tenant_id=request.tenant_id, file_sha256=digest, idempotency_key=request.idempotency_key
            ).first()
            if earlier:
                return earlier, False
        run = _new_run(request, acting_user, source, digest, size, file_name, approval_reason)
        created = True
    finally:
        if upload is not None and not created:
            # A refused upload, or one the earlier run already holds, leaves no file behind.
            source.unlink(missing_ok=True)
    if enqueue:
        transaction.on_commit(lambda: import_run_enqueue(run_id=run.pk))
    return run, True


def _new_run(request, acting_user, source: Path, digest: str, size: int, file_name: str, approval_reason):
    file_format = request.file_format or detect_format(source)
    shape = request.shape or _detected_shape(source, file_format)
    run = ImportRun(
        file_name=file_name[:255],
        file_path=str(source),
        file_sha256=digest,
        file_bytes=size,
        file_format=file_format,
        shape=shape,
        total_lines=count_lines(source, file_format),
        mapping=request.mapping or {},
        tenant_id=request.tenant_id,
        locale=request.locale,
        chapter_key=request.chapter_key,
        subchapter_key=request.subchapter_key,
        chapter_field=request.chapter_field,
        idempotency_key=request.idempotency_key,
        approve=request.approve,
        approval_reason=approval_reason,
        created_by=acting_user,
    )
    record_change(run, user=acting_user, action="created", reason=approval_reason)
    run.save()
    return run


def _approval_reason(request: ImportRequest, acting_user) -> str:
    if not request.approve:
        return ""
    require_permission(acting_user, APPROVE_PERMISSION, doing="Approving pairs as they are imported")
    return clean_reason(request.approval_reason, required_message=APPROVAL_NEEDS_REASON)


def _refuse_bad_request(request: ImportRequest) -> None:
    for name in ("tenant_id", "locale", "chapter_key", "subchapter_key", "chapter_field", "idempotency_key"):
        value = getattr(request, name)
        limit = ImportRun._meta.get_field(name).max_length
        if "\x00" in value:
            raise InvalidInput(f"{name} contains a NUL character (\\u0000). Remove it.", field=name)
        if len(value) > limit:
            raise InvalidInput(f"{name} has {len(value):,} characters; at most {limit} are allowed.", field=name)
    if not request.tenant_id.strip():
        raise InvalidInput("Name the tenant the pairs belong to.", field="tenant_id")
    if request.file_format and request.file_format not in ImportRun.Format.values:
        raise InvalidInput(
            f"Unknown format {request.file_format!r}; use one of {', '.join(ImportRun.Format.values)}.",
            field="format",
        )
    if request.shape and request.shape not in SHAPES:
        raise InvalidInput(f"Unknown shape {request.shape!r}; use one of {', '.join(SHAPES)}.", field="shape")
    _refuse_unknown_taxonomy(request)
    if request.shape == "mapping" or request.mapping:
        problem = check_mapping(request.mapping)
        if problem:
            raise InvalidInput(problem, field="mapping")


def _refuse_unknown_taxonomy(request: ImportRequest) -> None:
    if request.subchapter_key and not request.chapter_key:
        raise InvalidInput("A subchapter needs its chapter: give chapter_key too.", field="chapter_key")
    keys = {"chapter_key": request.chapter_key}
    if request.subchapter_key:
        keys["subchapter_key"] = f"{request.chapter_key}/{request.subchapter_key}"
    unknown = set(taxonomy_keys_unknown([key for key in keys.values() if key]))
    for field, key in keys.items():
        if key in unknown:
            raise InvalidInput(
                f"No {field.removesuffix('_key')} '{key}' in the taxonomy; use an existing key.", field=field
            )


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _keep_upload(upload) -> tuple[Path, str, int]:
    """Stream an uploaded file to MEDIA_ROOT/imports/, hashing it on the way."""
    directory = Path(settings.MEDIA_ROOT) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{uuid.uuid4().hex}-{Path(getattr(upload, 'name', '') or 'upload').name[-100:]}"
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as handle:
        chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    return target, digest.hexdigest(), size


def _detected_shape(path: Path, file_format: str) -> str:
    try:
        sample = [line.record for line in islice(read_lines(path, file_format), SHAPE_SAMPLE_LINES) if line.record]
    except UnreadableFile as error:
        raise InvalidInput(str(error), field="file") from error
    shape = detect_shape(sample)
    if shape is None:
        raise InvalidInput(
            "The first records fit no known shape (messages, conversations, instruction/output, "
            "question/answer); give a mapping such as "
            '{"question": "prompt", "answer": "completion"}.',
            field="shape",
        )
    return shape


def import_run_enqueue(*, run_id: int) -> None:
    async_task("qa_app.tasks.run_import", run_id, task_name=f"import-{run_id}-{uuid.uuid4().hex[:8]}", group="import")


@transaction.atomic
def import_run_cancel(*, run: ImportRun, acting_user) -> ImportRun:
    """Stop a pending or running import after its current batch; what it stored stays."""
    require_permission(acting_user, CANCEL_PERMISSION, doing="Cancelling an import")
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    tenant_require_visible(acting_user=acting_user, key=run.tenant_id)
    if run.finished:
        raise TransitionRefused(f"Import #{run.pk} has already {run.status}.")
    run.cancel(at=timezone.now())
    record_change(run, user=acting_user, action="cancelled")
    run.save()
    announce_finished(run)
    return run


def import_runs_resume_stale() -> list[int]:
    """Queue again the runs whose worker went silent (killed mid-batch): they resume after their
    last committed batch. Run each minute by every cluster's scheduler."""
    stale_before = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS)
    stale = list(
        ImportRun.objects.filter(status=ImportRun.Status.RUNNING, heartbeat_at__lt=stale_before).values_list(
            "pk", flat=True
        )
    )
    for run_id in stale:
        import_run_enqueue(run_id=run_id)
    return stale


def import_run_process(*, run_id: int, progress=None) -> ImportRun:
    """Read the run's file from its last committed line to the end (see the module's docstring).
    `progress` (a callable taking the lines done so far) lets a command draw a bar."""
    run = _started(run_id)
    if run.status != ImportRun.Status.RUNNING:
        return run
    index = NearDuplicateIndex(tenant_id=run.tenant_id)
    batches = checked_batches(run, batch_lines=settings.SYNTHGOV_IMPORT_BATCH_SIZE)
    try:
        # The next batch is read and checked while PostgreSQL inserts this one's pairs; a file
        # that turns out unreadable there fails the run after this batch is committed.
        next_batch = Meanwhile(lambda: next(batches, None))
        while (batch := next_batch.result()) is not None:
            next_batch = Meanwhile(lambda: next(batches, None))
            run = import_batch_commit(run.pk, batch, index, meanwhile=next_batch)
            if run.status != ImportRun.Status.RUNNING:
                return run
            if progress:
                progress(run.lines_done)
    except UnreadableFile as error:
        return _finish(run.pk, failed=str(error))
    except FileNotFoundError:
        return _finish(run.pk, failed=f"The file {run.file_path} is gone; import it again.")
    return _finish(run.pk)


def _started(run_id: int) -> ImportRun:
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status == ImportRun.Status.PENDING:
            run.start(at=timezone.now())
            record_change(run, user=None, action="started")
            run.save()
        elif run.status == ImportRun.Status.RUNNING:
            ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    return run


def _finish(run_id: int, *, failed: str = "") -> ImportRun:
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        if run.status != ImportRun.Status.RUNNING:
            return run
        if failed:
            run.fail(at=timezone.now(), error=failed)
        else:
            run.succeed(at=timezone.now())
        record_change(run, user=None, action=run.status)
        run.save()
        announce_finished(run)
    return run
