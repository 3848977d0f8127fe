"""What qa_app announces to webhooks (webhooks_app.events); called inside the transaction that ends an import."""

from django.urls import reverse

from webhooks_app.events import IMPORT_FINISHED, announce, api_url

from .models import ImportRun


def import_payload(run: ImportRun) -> dict:
    return {
        "object": "import",
        "id": run.pk,
        "url": api_url(reverse("importrun-detail", args=[run.pk])),
        "status": run.status,
        "tenant_id": run.tenant_id,
        "file_name": run.file_name,
        "file_sha256": run.file_sha256,
        "file_format": run.file_format,
        "shape": run.shape,
        "counts": {
            "lines": run.lines_done,
            "imported": run.imported,
            "duplicates": run.duplicates,
            "errors": run.errors,
        },
        "approved_on_import": run.approve,
        "error": run.error,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def announce_finished(run: ImportRun) -> None:
    """import.finished, whether the run succeeded, failed or was cancelled (its status says which)."""
    announce(IMPORT_FINISHED, tenant_id=run.tenant_id, subject=f"import {run.pk}", payload=import_payload(run))
