"""qa_app's models, one module per concept; everything is importable from `qa_app.models`."""

from .imports import ImportLineIssue, ImportRun
from .indexes import NearDuplicateBucket, QAPairSearchDocument
from .pairs import (
    TAXONOMY_KEY_CHARS,
    AwaitingAdjudicationManager,
    QAPair,
    QAPairAwaitingAdjudication,
    QAPairQuerySet,
    lineage_taxonomy,
    normalised_content_hash,
)
from .review import RejectReason, ReviewDecision

__all__ = [
    "TAXONOMY_KEY_CHARS",
    "AwaitingAdjudicationManager",
    "ImportLineIssue",
    "ImportRun",
    "NearDuplicateBucket",
    "QAPair",
    "QAPairAwaitingAdjudication",
    "QAPairQuerySet",
    "QAPairSearchDocument",
    "RejectReason",
    "ReviewDecision",
    "lineage_taxonomy",
    "normalised_content_hash",
]
