"""The released pairs of one split, as every exporter reads them: in pair id order, streamed.

The rows come from the release's frozen ReleaseItems (split, weight, content hash as released)
joined to the pairs' text, never from the collection's current members.
"""

from collections.abc import Iterator

from django.db.models.fields.json import KeyTextTransform

from collections_app.models import ReleaseItem

CHUNK = 5000

COLUMNS = (
    "pair_id",
    "question",
    "answer",
    "context",
    "system_prompt",
    "weight",
    "source",
    "template",
    "template_version",
    "template_sha256",
    "content_hash",
)


def user_content(question: str, context: str) -> str:
    """The user turn of the chat formats: the context, a blank line, then the question."""
    return f"{context}\n\n{question}" if context else question


def release_rows(release, split: str, *, chunk_size: int = CHUNK) -> Iterator[tuple]:
    """Tuples in `COLUMNS` order, streamed from the database with constant memory."""
    items = (
        ReleaseItem.objects.filter(release=release, split=split)
        .order_by("qa_pair_id")
        .values_list(
            "qa_pair_id",
            "qa_pair__question",
            "qa_pair__answer",
            "qa_pair__context",
            KeyTextTransform("system_prompt", "qa_pair__metadata"),
            "weight",
            "qa_pair__source",
            "qa_pair__template_version__template__key",
            "qa_pair__template_version__version",
            "qa_pair__template_version__content_sha256",
            "content_hash",
        )
    )
    for values in items.iterator(chunk_size=chunk_size):
        if values[4] is None:
            values = (*values[:4], "", *values[5:])
        yield values
