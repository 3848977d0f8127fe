"""Adding every approved pair that matches a filter to a collection: a MembershipFill, run by a q2 task.

Always queued, whatever the size: one path for ten pairs and for a million, and the API always
answers 202 with the fill to poll (with the test settings' sync q2 the fill has finished by then).

The task walks the matching pairs by id range (settings.SYNTHGOV_FILL_CHUNK_IDS ids at a time). Each range is one
transaction that holds the collection's lock (as collection_add_pairs and releases take it), counts
the range's pairs by outcome in one grouped query, adds the addable ones with one
INSERT ... SELECT, writes their history rows with a second INSERT ... SELECT, and commits the
fill's progress with them. A fill that is run again (a retried task) continues after its last
committed range, and a second fill with the same filters adds nothing: its pairs are counted as
already members.

A worker that dies mid-fill (killed, or its database connection lost) leaves the fill running with
an old heartbeat; every cluster's scheduler runs `membership_fills_resume_stale` each minute, which
queues such fills again. A transient database or broker fault is therefore not a failure: the fill
stays running and is resumed (synthgov.faults).
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, Exists, F, FloatField, IntegerField, Max, Min, OuterRef, Value
from django.utils import timezone
from django_q.tasks import async_task

from qa_app.selectors import approved_pairs_filtered
from synthgov.errors import InvalidInput, require_permission
from synthgov.faults import is_transient
from synthgov.history import record_bulk_change, record_change

from ..models import Collection, Membership, MembershipFill
from .collections import collection_require_access
from .membership import ADD_MEMBERSHIP_PERMISSION, check_split_and_weight, exclusion_expression

# The filters a fill takes: qa_app's (qa_app.filters.QAPairFilter) that describe which approved pairs
# to take. `flagged=false` is "flag-free"; `quality_score_min` is "quality at least".
FILL_FILTERS = (
    "chapter",
    "subchapter",
    "template",
    "template_version",
    "job",
    "source",
    "tenant_id",
    "locale",
    "quality_score_min",
    "quality_score_max",
    "judge_score_min",
    "flagged",
    "has_near_duplicate",
)
MAX_FILTER_CHARS = 200
UNKNOWN_FILTER = "Unknown filter(s): {names}. Use {allowed}."
FILTER_TOO_LONG = "Filter {name} has {length:,} characters; at most {limit} are allowed."
FILTER_HAS_NUL = "Filter {name} contains a NUL character (\\u0000); remove it."
FILTER_NOT_A_VALUE = "Filter {name} must be a text, a number or true/false; got {kind}."


def _clean_filters(filters) -> dict:
    """The filters as qa_app's FilterSet reads them (texts), checked; InvalidInput naming each bad one."""
    if not isinstance(filters, dict):
        raise InvalidInput("Filters must be an object of filter names and values.", field="filters")
    unknown = sorted(str(name) for name in filters if name not in FILL_FILTERS)
    if unknown:
        raise InvalidInput(
            UNKNOWN_FILTER.format(names=", ".join(unknown), allowed=", ".join(FILL_FILTERS)), field="filters"
        )
    cleaned, problems = {}, {}
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            problems[name] = [FILTER_NOT_A_VALUE.format(name=name, kind=type(value).__name__)]
            continue
        if len(value) > MAX_FILTER_CHARS:
            problems[name] = [FILTER_TOO_LONG.format(name=name, length=len(value), limit=MAX_FILTER_CHARS)]
        elif "\x00" in value:
            problems[name] = [FILTER_HAS_NUL.format(name=name)]
        else:
            cleaned[name] = value.strip()
    if not problems:
        _, problems = approved_pairs_filtered(cleaned)
    if problems:
        first = next(iter(problems))
        raise InvalidInput(
            " ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items()),
            field=first,
            problems=problems,
        )
    return cleaned


@transaction.atomic
def membership_fill_request(
    *, collection: Collection, filters: dict, split: str = "", weight: float = 1.0, acting_user
) -> MembershipFill:
    """Queue adding every approved pair matching `filters` (qa_app's filter names, FILL_FILTERS) to
    the collection, with a split (empty: by hash) and a weight. Pairs the collection may not hold
    (exclusion_expression) are skipped and counted per rule, not refused as a whole."""
    require_permission(acting_user, ADD_MEMBERSHIP_PERMISSION, doing="Adding pairs to a collection")
    collection_require_access(collection=collection, acting_user=acting_user)
    check_split_and_weight(split=split, weight=weight)
    fill = MembershipFill(
        collection=collection, filters=_clean_filters(filters), split=split, weight=weight, requested_by=acting_user
    )
    record_change(fill, user=acting_user, action="requested")
    fill.save()
    transaction.on_commit(lambda fill_id=fill.pk: membership_fill_enqueue(fill_id=fill_id))
    return fill


def membership_fill_enqueue(*, fill_id: int) -> None:
    async_task(
        "collections_app.tasks.run_membership_fill", fill_id, task_name=f"membership-fill-{fill_id}", group="fills"
    )


def _matching(fill: MembershipFill):
    pairs, problems = approved_pairs_filtered(fill.filters)
    if problems:
        # Checked when the fill was requested; an object named since deleted ends here.
        raise InvalidInput(f"The filters no longer apply: {problems}.")
    return pairs


def membership_fill_run(*, fill_id: int) -> MembershipFill:
    """Run (or continue) a fill to its end; the q2 task calls this. A failure is recorded on the fill;
    a transient fault leaves it running for the stale sweep to resume."""
    fill = MembershipFill.objects.select_related("collection", "requested_by").get(pk=fill_id)
    if fill.is_finished:
        return fill
    try:
        _start(fill_id)
        while _fill_next_range(fill_id):
            pass
        with transaction.atomic():
            fill = MembershipFill.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=fill_id)
            if fill.status == MembershipFill.Status.RUNNING:
                fill.succeed(at=timezone.now())
                record_change(fill, user=fill.requested_by, action="succeeded")
                fill.save()
    except Exception as exc:
        if is_transient(exc):
            raise
        with transaction.atomic():
            fill = MembershipFill.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=fill_id)
            if not fill.is_finished:
                fill.fail(at=timezone.now(), error=getattr(exc, "message", None) or repr(exc))
                record_change(fill, user=fill.requested_by, action="failed")
                fill.save()
        raise
    return fill


def membership_fills_resume_stale() -> list[int]:
    """Queue again the running fills whose worker went silent: each continues after its last
    committed range. Run each minute by every cluster's scheduler (collections_app.schedules)."""
    stale_before = timezone.now() - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS)
    stale = list(
        MembershipFill.objects.filter(status=MembershipFill.Status.RUNNING, heartbeat_at__lt=stale_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for fill_id in stale:
        membership_fill_enqueue(fill_id=fill_id)
    return stale


@transaction.atomic
def _start(fill_id: int) -> None:
    # Locked: a retried task and the first one may both find the fill pending.
    fill = MembershipFill.objects.select_for_update(of=("self",)).select_related("requested_by").get(pk=fill_id)
    if fill.status != MembershipFill.Status.PENDING:
        return
    bounds = _matching(fill).aggregate(matched=Count("pk"), first=Min("pk"), last=Max("pk"))
    fill.start(at=timezone.now(), matched=bounds["matched"], first_pair_id=bounds["first"], last_pair_id=bounds["last"])
    fill.processed_through = bounds["first"] - 1 if bounds["first"] is not None else None
    record_change(fill, user=fill.requested_by, action="started")
    fill.save()


def _fill_next_range(fill_id: int) -> bool:
    """Add the next range of pairs and commit it with the fill's progress; False when none is left."""
    with transaction.atomic():
        # The fill's row first, then the collection's: a second worker on the same fill waits and
        # then takes the range after this one; adds and releases of the collection wait for the range.
        fill = MembershipFill.objects.select_for_update().get(pk=fill_id)
        if fill.status != MembershipFill.Status.RUNNING or fill.processed_through is None:
            return False
        if fill.processed_through >= fill.last_pair_id:
            return False
        collection = Collection.objects.select_for_update().get(pk=fill.collection_id)
        low = fill.processed_through + 1
        high = min(low + settings.SYNTHGOV_FILL_CHUNK_IDS - 1, fill.last_pair_id)
        pairs = _matching(fill).filter(pk__gte=low, pk__lte=high)
        is_member = Exists(Membership.objects.filter(collection=collection, qa_pair=OuterRef("pk")))
        outcomes = (
            pairs.annotate(exclusion=exclusion_expression(collection), member=is_member)
            .values_list("exclusion", "member")
            .annotate(count=Count("pk"))
            .order_by()
        )
        processed, already, addable, refused_by_rule = 0, 0, 0, dict(fill.refused_by_rule)
        for exclusion, member, count in outcomes:
            processed += count
            if exclusion:
                refused_by_rule[exclusion] = refused_by_rule.get(exclusion, 0) + count
            elif member:
                already += count
            else:
                addable += count
        added_ids = []
        if addable:
            added_ids = _insert_members(fill, collection, pairs.annotate(exclusion=exclusion_expression(collection)))
        at = timezone.now()
        # One history row per added membership, taken from the stored rows (synthgov.history).
        record_bulk_change(
            Membership, added_ids, user=fill.requested_by, reason=f"added by fill #{fill.pk}", at=at, history_type="+"
        )
        # Progress is counted, not decided: an UPDATE, no history row per range (the transitions have theirs).
        MembershipFill.objects.filter(pk=fill.pk).update(
            processed_through=high,
            processed=F("processed") + processed,
            added=F("added") + len(added_ids),
            already_members=F("already_members") + already,
            refused=sum(refused_by_rule.values()),
            refused_by_rule=refused_by_rule,
            heartbeat_at=at,
        )
    return high < fill.last_pair_id


def _insert_members(fill: MembershipFill, collection: Collection, pairs) -> list[int]:
    """INSERT ... SELECT the range's addable pairs that are not members yet; the new memberships' ids.

    Members are skipped by the unique (collection, pair) index (ON CONFLICT DO NOTHING), not by an
    anti-join: right after a large fill the planner's statistics still see the collection empty,
    and its anti-join plan then took seconds per range where the index probe takes milliseconds."""
    rows = (
        pairs.filter(exclusion="")
        .annotate(
            m_collection=Value(collection.pk, output_field=IntegerField()),
            m_pair=F("pk"),
            m_split=Value(fill.split),
            m_weight=Value(fill.weight, output_field=FloatField()),
            m_by=Value(fill.requested_by_id, output_field=IntegerField()),
            m_at=Value(timezone.now(), output_field=DateTimeField()),
        )
        .values_list("m_collection", "m_pair", "m_split", "m_weight", "m_by", "m_at")
        .order_by()
    )
    select_sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in ("collection_id", "qa_pair_id", "split", "weight", "added_by_id"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Membership._meta.db_table)} ({columns}, {quote('added_at')}) {select_sql} "
            f"ON CONFLICT ({quote('collection_id')}, {quote('qa_pair_id')}) DO NOTHING RETURNING {quote('id')}",
            params,
        )
        return [row[0] for row in cursor.fetchall()]
