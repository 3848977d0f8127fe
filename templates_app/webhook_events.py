"""What templates_app announces to webhooks (webhooks_app.events); called inside the services' transactions."""

from django.urls import reverse

from webhooks_app.events import TEMPLATE_VERSION_ARCHIVED, TEMPLATE_VERSION_PUBLISHED, announce, api_url

from .models import TemplateVersion


def _payload(version: TemplateVersion) -> dict:
    template = version.template
    return {
        "object": "template_version",
        "id": version.pk,
        "url": api_url(reverse("templateversion-detail", args=[version.pk])),
        "template": template.key,
        "template_name": template.name,
        "chapter": template.chapter.key,
        "subchapter": template.subchapter.key if template.subchapter_id else "",
        "version": version.version,
        "status": version.status,
        "is_current": version.is_current,
        "content_sha256": version.content_sha256,
        "author": version.author.get_username() if version.author_id else None,
        "published_by": version.published_by.get_username() if version.published_by_id else None,
    }


def announce_published(version: TemplateVersion) -> None:
    # Templates are shared by every tenant: the event goes to every subscribed endpoint.
    announce(TEMPLATE_VERSION_PUBLISHED, tenant_id="", subject=str(version)[:200], payload=_payload(version))


def announce_archived(version: TemplateVersion, *, reason: str = "") -> None:
    payload = {**_payload(version), "reason": reason}
    announce(TEMPLATE_VERSION_ARCHIVED, tenant_id="", subject=str(version)[:200], payload=payload)
