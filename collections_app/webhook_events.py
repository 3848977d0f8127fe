"""What collections_app announces to webhooks (webhooks_app.events); called inside the release's transaction."""

from django.urls import reverse

from webhooks_app.events import RELEASE_PUBLISHED, announce, api_url

from .models import Release


def release_payload(release: Release) -> dict:
    collection = release.collection
    manifest = release.manifest
    return {
        "object": "release",
        "id": release.pk,
        "url": api_url(reverse("release-detail", args=[release.pk])),
        "collection": collection.slug,
        "collection_url": api_url(reverse("collection-detail", args=[collection.pk])),
        "tenant_id": collection.tenant_id,
        "version": release.version,
        "formats": list(release.formats),
        "rows": manifest.get("rows"),
        "splits": manifest.get("splits", {}),
        "left_out": manifest.get("left_out", {}),
        "state_sha256": manifest.get("state_sha256"),
        "files": [
            {
                "name": entry["name"],
                "format": entry.get("format"),
                "split": entry.get("split"),
                "rows": entry.get("rows"),
                "bytes": entry.get("bytes"),
                "sha256": entry["sha256"],
                "url": api_url(reverse("release-download", kwargs={"pk": release.pk, "name": entry["name"]})),
            }
            for entry in release.files
        ],
        "created_by": release.created_by.get_username() if release.created_by_id else None,
        "published_at": release.published_at.isoformat() if release.published_at else None,
    }


def announce_published(release: Release) -> None:
    announce(
        RELEASE_PUBLISHED,
        tenant_id=release.collection.tenant_id,
        subject=str(release)[:200],
        payload=release_payload(release),
    )
