"""Every operation that changes collections, memberships and releases (one module per concept)."""

from .collections import (
    ALLOW_PII_PERMISSION,
    CROSS_TENANT_PERMISSION,
    LIFT_WALL_PERMISSION,
    WALL_LIFT_NEEDS_REASON,
    collection_save,
    collection_save_reason,
)
from .fills import FILL_FILTERS, membership_fill_request, membership_fill_run, membership_fills_resume_stale
from .membership import (
    ADD_MEMBERSHIP_PERMISSION,
    REMOVE_MEMBERSHIP_PERMISSION,
    WEIGHT_MUST_BE_POSITIVE,
    AddResult,
    collection_add_pairs,
    collection_remove_pairs,
    exclusion_expression,
)
from .releases import (
    CARD_NAME,
    EXPORT_DIRECTORY_NOT_EMPTY,
    MANIFEST_NAME,
    NOTHING_TO_RELEASE,
    RELEASE_PERMISSION,
    RELEASE_UNKNOWN,
    collection_release,
    release_by_label,
    release_download_name,
    release_export,
    release_file_path,
)

__all__ = [
    "ADD_MEMBERSHIP_PERMISSION",
    "ALLOW_PII_PERMISSION",
    "CARD_NAME",
    "CROSS_TENANT_PERMISSION",
    "EXPORT_DIRECTORY_NOT_EMPTY",
    "FILL_FILTERS",
    "LIFT_WALL_PERMISSION",
    "MANIFEST_NAME",
    "NOTHING_TO_RELEASE",
    "RELEASE_PERMISSION",
    "RELEASE_UNKNOWN",
    "REMOVE_MEMBERSHIP_PERMISSION",
    "WALL_LIFT_NEEDS_REASON",
    "WEIGHT_MUST_BE_POSITIVE",
    "AddResult",
    "collection_add_pairs",
    "collection_release",
    "collection_remove_pairs",
    "collection_save",
    "collection_save_reason",
    "exclusion_expression",
    "membership_fill_request",
    "membership_fill_run",
    "membership_fills_resume_stale",
    "release_by_label",
    "release_download_name",
    "release_export",
    "release_file_path",
]
