"""Which pairs a collection may hold, and adding and removing them."""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from jobs_app.selectors import pair_job_surface, pair_job_surface_in
from qa_app.models import QAPair
from qa_app.selectors import pii_flagged
from synthgov.errors import InvalidInput, require_permission
from synthgov.history import delete_with_history

from ..guards import SURFACES_FOR_PURPOSE, surfaces_refused
from ..models import Collection, Membership, Split
from .collections import collection_require_access

WEIGHT_MUST_BE_POSITIVE = "Weight must be greater than 0; got {weight}."
ADD_MEMBERSHIP_PERMISSION = "collections_app.add_membership"
REMOVE_MEMBERSHIP_PERMISSION = "collections_app.delete_membership"


@dataclass(frozen=True)
class AddResult:
    added: int
    already_members: int


def exclusion_expression(collection: Collection, *, pair: str = "", release: bool = False):
    """Why a pair cannot be in the collection, as a code ('' when it can).

    One expression serves the refusal when adding pairs (and add-by-filter, which takes the pairs
    for which it is ''), and, with `release=True`, the release's left-out counts: every add-time
    rule is checked again at release, so a pair that no longer fits (reopened, its collection's
    rules changed) is left out and counted, never released. `release=True` adds the release-only
    leave-out: PII-flagged pairs, unless the collection allows PII. The first rule that applies
    names the code, in this order:

    - ``not_approved:<status>``, ``preview_job``, ``source_not_allowed``;
    - ``synthetic_in_evaluation``: the synthetic wall of an evaluation collection (unless lifted);
    - ``other_tenant``: the pair's tenant is not the collection's (unless it is cross-tenant);
    - ``target_surface``: the pair's job is for a surface the collection's purpose does not take
      (guards.SURFACES_FOR_PURPOSE; pairs without a job fit);
    - ``pii`` (release only).

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
    if not collection.cross_tenant:
        # A collection without a tenant (only possible for rows older than the rule) takes no pair.
        conditions.append((~Q(**{f"{pair}tenant_id": collection.tenant_id}), "other_tenant"))
    misfits = surfaces_refused(collection.purpose)
    if misfits:
        conditions.append((pair_job_surface_in(misfits, pair=pair), "target_surface"))
    if release and not collection.allow_pii:
        conditions.append((pii_flagged(pair=pair), "pii"))
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
        "preview_job": "comes from a preview job and can never be released (preview rule)",
        "source_not_allowed": "is {source}, which '{slug}' does not allow (source rule)",
        "synthetic_in_evaluation": "is synthetic and '{slug}' is an evaluation collection (synthetic wall)",
        "other_tenant": "belongs to tenant '{tenant}', and '{slug}' holds tenant '{own_tenant}' only (tenant rule)",
        "target_surface": "comes from a job for the {surface} surface, which a {purpose} collection does not take"
        " (target-surface rule: {purpose} takes {fits})",
    }
    refused = (
        QAPair.objects.filter(pk__in=pair_ids)
        .annotate(exclusion=exclusion_expression(collection), surface=pair_job_surface())
        .exclude(exclusion="")
        .order_by("pk")
        .values_list("pk", "exclusion", "review_status", "source", "tenant_id", "surface")
    )
    return [
        f"#{pk} "
        + explanations.get(code, "is {status}, not approved (approved-only rule)").format(
            source=source,
            slug=collection.slug,
            status=status,
            tenant=tenant,
            own_tenant=collection.tenant_id,
            surface=surface,
            purpose=collection.purpose,
            fits=", ".join(SURFACES_FOR_PURPOSE[collection.purpose]) or "none",
        )
        for pk, code, status, source, tenant, surface in refused
    ]


@transaction.atomic
def collection_add_pairs(
    *, collection: Collection, pairs: Iterable[QAPair], split: str = "", weight: float = 1.0, acting_user
) -> AddResult:
    """Add approved pairs with a split (empty: by hash) and a weight; all or nothing."""
    require_permission(acting_user, ADD_MEMBERSHIP_PERMISSION, doing="Adding pairs to a collection")
    collection_require_access(collection=collection, acting_user=acting_user)
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
    collection_require_access(collection=collection, acting_user=acting_user)
    ids = list(Membership.objects.filter(collection=collection, qa_pair__in=list(pairs)).values_list("pk", flat=True))
    # Nothing refers to a membership, so one DELETE per chunk, with a history row each saying who removed it.
    return delete_with_history(Membership, ids, user=acting_user, at=timezone.now(), reason="removed")
