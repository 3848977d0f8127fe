"""Every operation that changes collections, memberships and releases (one module per concept)."""

from .collections import (
    ALLOW_PII_PERMISSION,
    CROSS_TENANT_PERMISSION,
    LIFT_WALL_PERMISSION,
    WALL_LIFT_NEEDS_REASON,
    collection_save,
    collection_save_reason,
)
from .membership import (
    ADD_MEMBERSHIP_PERMISSION,
    REMOVE_MEMBERSHIP_PERMISSION,
    WEIGHT_MUST_BE_POSITIVE,
    AddResult,
    collection_add_pairs,
    collection_remove_pairs,
    exclusion_expression,
)
from .releases import NOTHING_TO_RELEASE, RELEASE_PERMISSION, collection_release, release_file_path

__all__ = [
    "ADD_MEMBERSHIP_PERMISSION",
    "ALLOW_PII_PERMISSION",
    "CROSS_TENANT_PERMISSION",
    "LIFT_WALL_PERMISSION",
    "NOTHING_TO_RELEASE",
    "RELEASE_PERMISSION",
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
    "release_file_path",
]
