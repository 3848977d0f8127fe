"""Which pairs a collection may hold, and adding and removing them."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from qa_app.models import QAPair
from synthgov.errors import InvalidInput, require_permission
from synthgov.history import delete_with_history

from ..models import Collection, Membership, Split

WEIGHT_MUST_BE_POSITIVE = "Weight must be greater than 0; got {weight}."
ADD_MEMBERSHIP_PERMISSION = "collections_app.add_membership"
REMOVE_MEMBERSHIP_PERMISSION = "collections_app.delete_membership"


@dataclass(frozen=True)
class AddResult:
    added: int
    already_members: int


def exclusion_expression(collection: Collection, *, pair: str = ""):
    """Why a pair cannot be released from the collection, as a code ('' when it can).

    One expression serves both the refusal when adding pairs and the release's left-out counts.
    `pair` is the path to the QA pair from the queried model ("" for QAPair, "qa_pair__" ...).
    """
    never = Q(pk__isnull=True)
    conditions = [
        (~Q(**{f"{pair}review_status": QAPair.ReviewStatus.APPROVED}), None),
        (Q(**{f"{pair}is_preview": True}), "preview_job"),
        (
            ~Q(**{f"{pair}source__in": collection.allowed_sources}) if collection.allowed_sources else ~never,
            "source_not_allowed",
        ),
    ]
    if collection.purpose == Collection.Purpose.EVALUATION and not collection.allow_synthetic_in_evaluation:
        conditions.append((Q(**{f"{pair}source": QAPair.Source.SYNTHETIC}), "synthetic_in_evaluation"))
    not_approved = Concat(Value("not_approved:"), F(f"{pair}review_status"))
    return Case(
        *[When(condition, then=Value(code) if code else not_approved) for condition, code in conditions],
        default=Value(""),
        output_field=CharField(),
    )


def check_split_and_weight(*, split: str, weight: float) -> None:
    """InvalidInput unless `split` is a split or empty and `weight` a finite number above 0."""
    if weight is None or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight <= 0:
        raise InvalidInput(WEIGHT_MUST_BE_POSITIVE.format(weight=weight))
    if split and split not in Split.values:
        raise InvalidInput(f"Split must be one of {', '.join(Split.values)} or empty; got {split!r}.")


def _refusals(collection: Collection, pair_ids: list[int]) -> list[str]:
    explanations = {
        "preview_job": "comes from a preview job and can never be released",
        "source_not_allowed": "is {source}, which '{slug}' does not allow",
        "synthetic_in_evaluation": "is synthetic and '{slug}' is an evaluation collection",
    }
    refused = (
        QAPair.objects.filter(pk__in=pair_ids)
        .annotate(exclusion=exclusion_expression(collection))
        .exclude(exclusion="")
        .order_by("pk")
        .values_list("pk", "exclusion", "review_status", "source")
    )
    return [
        f"#{pk} "
        + explanations.get(code, "is {status}, not approved").format(source=source, slug=collection.slug, status=status)
        for pk, code, status, source in refused
    ]


@transaction.atomic
def collection_add_pairs(
    *, collection: Collection, pairs: Iterable[QAPair], split: str = "", weight: float = 1.0, acting_user
) -> AddResult:
    """Add approved pairs with a split (empty: by hash) and a weight; all or nothing."""
    require_permission(acting_user, ADD_MEMBERSHIP_PERMISSION, doing="Adding pairs to a collection")
    check_split_and_weight(split=split, weight=weight)
    # Concurrent adds to one collection take turns: each sees what the one before it added, so
    # overlapping requests report those pairs as already members instead of colliding on the
    # unique membership (IntegrityError). Releases take the same lock.
    Collection.objects.select_for_update().filter(pk=collection.pk).exists()
    # Decide on the stored state, not on objects the caller may have loaded long ago.
    pairs = list(QAPair.objects.filter(pk__in=[pair.pk for pair in pairs]).order_by("pk"))
    refusals = _refusals(collection, [pair.pk for pair in pairs])
    if refusals:
        shown = "; ".join(refusals[:5]) + (f"; and {len(refusals) - 5} more" if len(refusals) > 5 else "")
        raise InvalidInput(f"Nothing was added: {shown}.")
    existing = set(
        Membership.objects.filter(collection=collection, qa_pair__in=pairs).values_list("qa_pair_id", flat=True)
    )
    new = [
        Membership(collection=collection, qa_pair=pair, split=split, weight=weight, added_by=acting_user)
        for pair in pairs
        if pair.pk not in existing
    ]
    bulk_create_with_history(new, Membership, batch_size=1000, default_user=acting_user, default_change_reason="added")
    return AddResult(added=len(new), already_members=len(existing))


@transaction.atomic
def collection_remove_pairs(*, collection: Collection, pairs: Iterable[QAPair], acting_user) -> int:
    require_permission(acting_user, REMOVE_MEMBERSHIP_PERMISSION, doing="Removing pairs from a collection")
    ids = list(Membership.objects.filter(collection=collection, qa_pair__in=list(pairs)).values_list("pk", flat=True))
    # Nothing refers to a membership, so one DELETE per chunk, with a history row each saying who removed it.
    return delete_with_history(Membership, ids, user=acting_user, at=timezone.now(), reason="removed")
