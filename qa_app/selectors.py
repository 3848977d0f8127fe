from .models import QAPair


def qa_pair_duplicate_of(*, tenant_id: str, content_hash: str, exclude_pk: int | None = None) -> QAPair | None:
    """The tenant's pair with the same normalised content, if any."""
    return (
        QAPair.objects.filter(tenant_id=tenant_id, content_hash=content_hash, is_preview=False)
        .exclude(pk=exclude_pk)
        .only("pk")
        .first()
    )
