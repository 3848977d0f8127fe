"""Stable split assignment: the same (collection seed, pair id) always lands in the same split.

A pair's point in [0, 1) is the first 48 bits of sha256("<seed>:<pair id>"). The ratios become
integer bounds on those bits, so Python (`assign_split`) and SQL (`split_expression`, used to
snapshot millions of members at once) compare the same integers and always agree: in SQL the
bits are compared as fixed-width lowercase hex, whose order is the order of the numbers.
"""

import hashlib

from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import SHA256, Cast, Concat, Substr
from django.db.models.lookups import LessThan

from .models import Split

SPLIT_ORDER = tuple(Split.values)
POINT_HEX_DIGITS = 12
POINT_SPACE = 16**POINT_HEX_DIGITS


def split_bounds(ratios: dict) -> list[tuple[str, int]]:
    """(split, exclusive upper bound) in order; the last split in use takes the remainder."""
    bounds, cumulative = [], 0.0
    for split in SPLIT_ORDER:
        ratio = ratios.get(split, 0)
        if ratio <= 0:
            continue
        cumulative += ratio
        bounds.append((split, min(POINT_SPACE, round(cumulative * POINT_SPACE))))
    if not bounds:
        return [(Split.TRAIN, POINT_SPACE)]
    bounds[-1] = (bounds[-1][0], POINT_SPACE)
    return bounds


class HexSHA256(SHA256):
    """Lowercase hex SHA-256 of text; on PostgreSQL the built-in sha256() (no pgcrypto needed)."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')", **extra_context
        )


def assign_split(*, seed: int, pair_id: int, ratios: dict) -> str:
    point = int(hashlib.sha256(f"{seed}:{pair_id}".encode()).hexdigest()[:POINT_HEX_DIGITS], 16)
    for split, bound in split_bounds(ratios):
        if point < bound:
            return split
    raise AssertionError("the last bound covers every point")


def split_expression(*, seed: int, ratios: dict, pair_id_field: str, explicit_split_field: str):
    """The split of each row as an ORM expression: the explicit one, else assign_split's."""
    point = Substr(
        HexSHA256(Concat(Value(f"{seed}:"), Cast(pair_id_field, output_field=CharField()))), 1, POINT_HEX_DIGITS
    )
    *bounded, (last_split, _) = split_bounds(ratios)
    automatic = Case(
        *[When(condition=_point_below(point, bound), then=Value(split)) for split, bound in bounded],
        default=Value(last_split),
        output_field=CharField(),
    )
    return Case(When(**{explicit_split_field: ""}, then=automatic), default=F(explicit_split_field))


def _point_below(point, bound: int):
    return LessThan(point, Value(f"{bound:0{POINT_HEX_DIGITS}x}"))
