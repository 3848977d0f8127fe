"""Stable split assignment: the same (collection seed, pair id) always lands in the same split."""

import hashlib

from .models import Split

SPLIT_ORDER = tuple(Split.values)


def assign_split(*, seed: int, pair_id: int, ratios: dict) -> str:
    digest = hashlib.sha256(f"{seed}:{pair_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    chosen = None
    for split in SPLIT_ORDER:
        ratio = ratios.get(split, 0)
        if ratio <= 0:
            continue
        chosen = split
        cumulative += ratio
        if point < cumulative:
            return split
    # Rounding can leave the top sliver unassigned; it belongs to the last split in use.
    return chosen or Split.TRAIN
