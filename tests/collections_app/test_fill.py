"""membership_fill_request / membership_fill_run: "add all approved pairs matching this filter"."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_q.models import Schedule

from collections_app.models import Collection, Membership, MembershipFill, Split
from collections_app.schedules import STALE_FILL_SWEEP
from collections_app.services import (
    collection_add_pairs,
    membership_fill_request,
    membership_fill_run,
    membership_fills_resume_stale,
)
from collections_app.services import fills as fills_module
from qa_app.models import QAPair
from synthgov.errors import InvalidInput, PermissionRefused
from tests.factories import (
    ChapterFactory,
    CollectionFactory,
    PromptTemplateFactory,
    QAPairFactory,
    SubchapterFactory,
    TemplateVersionFactory,
)

APPROVED = QAPair.ReviewStatus.APPROVED


@pytest.fixture
def fill(collection, curator, django_capture_on_commit_callbacks):
    """Request a fill and run it (django-q2 runs tasks inline in the test settings) after commit."""

    def run(filters=None, *, into=None, **options) -> MembershipFill:
        with django_capture_on_commit_callbacks(execute=True):
            requested = membership_fill_request(
                collection=into or collection, filters=filters or {}, acting_user=curator, **options
            )
        requested.refresh_from_db()
        return requested

    return run


def members(collection) -> set[int]:
    return set(Membership.objects.filter(collection=collection).values_list("qa_pair_id", flat=True))


@pytest.fixture
def taxonomy(db):
    """Two templates: arithmetic/addition and geometry/angles, one version each."""
    addition = TemplateVersionFactory(template=PromptTemplateFactory(subchapter=SubchapterFactory()))
    angles = TemplateVersionFactory(
        template=PromptTemplateFactory(
            subchapter=SubchapterFactory(chapter=ChapterFactory(key="geometry", title="Geometry"), key="angles")
        )
    )
    return addition, angles


def test_a_fill_adds_every_approved_pair_with_its_split_and_weight(fill, collection, approved_pair):
    pairs = [approved_pair() for _ in range(3)]
    QAPairFactory()  # pending: not taken

    done = fill(split=Split.TEST, weight=2.0)

    assert done.status == MembershipFill.Status.SUCCEEDED
    assert members(collection) == {pair.pk for pair in pairs}
    assert set(Membership.objects.filter(collection=collection).values_list("split", "weight")) == {(Split.TEST, 2.0)}
    assert (done.matched, done.processed, done.added, done.already_members, done.refused) == (3, 3, 3, 0, 0)


def test_a_fill_by_chapter_takes_only_that_chapters_pairs(fill, collection, approved_pair, taxonomy):
    addition, angles = taxonomy
    wanted = approved_pair(template_version=angles)
    approved_pair(template_version=addition)

    fill({"chapter": angles.template.chapter_id})

    assert members(collection) == {wanted.pk}


def test_a_fill_by_subchapter_takes_only_that_subchapters_pairs(fill, collection, approved_pair, taxonomy):
    addition, angles = taxonomy
    wanted = approved_pair(template_version=addition)
    approved_pair(template_version=angles)

    fill({"subchapter": addition.template.subchapter_id})

    assert members(collection) == {wanted.pk}


def test_a_fill_by_template_version_takes_only_its_pairs(fill, collection, approved_pair, taxonomy):
    addition, angles = taxonomy
    wanted = approved_pair(template_version=angles)
    approved_pair(template_version=addition)

    fill({"template_version": angles.pk})

    assert members(collection) == {wanted.pk}


def test_a_fill_by_job_takes_only_that_jobs_pairs(fill, collection, approved_pair, approved_version, run_job):
    job = run_job(approved_version, record_count=5)
    QAPair.objects.filter(job=job).update(review_status=APPROVED)
    approved_pair()

    fill({"job": job.pk})

    assert members(collection) == set(QAPair.objects.filter(job=job).values_list("pk", flat=True))
    assert len(members(collection)) == 5


def test_a_fill_by_source_takes_only_that_source(fill, collection, approved_pair):
    wanted = approved_pair(source=QAPair.Source.IMPORTED)
    approved_pair(source=QAPair.Source.OPERATOR)

    fill({"source": "imported"})

    assert members(collection) == {wanted.pk}


def test_a_fill_by_tenant_takes_only_that_tenants_pairs(fill, collection, approved_pair):
    wanted = approved_pair(tenant_id="acme")
    approved_pair(tenant_id="globex")

    fill({"tenant_id": "acme"})

    assert members(collection) == {wanted.pk}


def test_a_fill_by_minimum_quality_takes_pairs_at_or_above_it(fill, collection, approved_pair):
    good, exact = approved_pair(quality_score=0.9), approved_pair(quality_score=0.7)
    approved_pair(quality_score=0.5)

    fill({"quality_score_min": 0.7})

    assert members(collection) == {good.pk, exact.pk}


def test_a_fill_of_flag_free_pairs_leaves_flagged_ones_out(fill, collection, approved_pair):
    clean = approved_pair(flags=[])
    approved_pair(flags=[{"code": "pii_email"}])

    fill({"flagged": False})

    assert members(collection) == {clean.pk}


def test_filling_again_adds_nothing_and_counts_the_members(fill, collection, approved_pair):
    for _ in range(3):
        approved_pair()
    fill()

    again = fill()

    assert (again.matched, again.added, again.already_members) == (3, 0, 3)
    assert Membership.objects.filter(collection=collection).count() == 3


def test_pairs_added_before_by_hand_are_counted_as_members(fill, collection, approved_pair, curator):
    first, second = approved_pair(), approved_pair()
    collection_add_pairs(collection=collection, pairs=[first], acting_user=curator)

    done = fill()

    assert (done.added, done.already_members) == (1, 1)
    assert members(collection) == {first.pk, second.pk}


def test_pairs_the_collection_may_not_hold_are_skipped_and_counted_per_rule(fill, approved_pair):
    evaluation = CollectionFactory(purpose=Collection.Purpose.EVALUATION, allowed_sources=["operator", "synthetic"])
    kept = approved_pair(source=QAPair.Source.OPERATOR)
    approved_pair(source=QAPair.Source.SYNTHETIC)
    approved_pair(source=QAPair.Source.IMPORTED)

    done = fill(into=evaluation)

    assert members(evaluation) == {kept.pk}
    assert (done.added, done.refused) == (1, 2)
    assert done.refused_by_rule == {"synthetic_in_evaluation": 1, "source_not_allowed": 1}


def test_a_fill_commits_progress_range_by_range(fill, collection, approved_pair, monkeypatch, settings):
    pairs = [approved_pair() for _ in range(5)]
    settings.SYNTHGOV_FILL_CHUNK_IDS = 2
    seen = []
    original = fills_module._fill_next_range

    def spy(fill_id):
        more = original(fill_id)
        seen.append(MembershipFill.objects.values_list("processed", "added").get(pk=fill_id))
        return more

    monkeypatch.setattr(fills_module, "_fill_next_range", spy)

    done = fill()

    assert done.added == 5
    assert done.progress_percent == 100
    assert [added for _, added in seen] == sorted(added for _, added in seen)
    assert len(seen) >= 3
    assert seen[0][1] < 5
    assert done.processed_through == pairs[-1].pk


def test_a_fill_whose_worker_died_continues_after_its_last_committed_range(
    collection, approved_pair, curator, settings
):
    for _ in range(4):
        approved_pair()
    settings.SYNTHGOV_FILL_CHUNK_IDS = 2
    requested = membership_fill_request(collection=collection, filters={}, acting_user=curator)
    # What a killed worker leaves behind: the fill running, its first range committed.
    fills_module._start(requested.pk)
    fills_module._fill_next_range(requested.pk)
    assert MembershipFill.objects.get(pk=requested.pk).added == 2

    done = membership_fill_run(fill_id=requested.pk)

    assert (done.status, done.matched, done.added, done.already_members) == ("succeeded", 4, 4, 0)
    assert Membership.objects.filter(collection=collection).count() == 4


def test_a_fill_that_fails_records_the_error(collection, approved_pair, curator, monkeypatch):
    approved_pair()
    requested = membership_fill_request(collection=collection, filters={}, acting_user=curator)

    def lost(fill_id):
        raise ConnectionError("worker lost")

    monkeypatch.setattr(fills_module, "_fill_next_range", lost)
    with pytest.raises(ConnectionError):
        membership_fill_run(fill_id=requested.pk)

    requested.refresh_from_db()
    assert requested.status == MembershipFill.Status.FAILED
    assert "worker lost" in requested.error


def _worker_died_after_one_range(collection, curator, settings) -> MembershipFill:
    """What a killed worker leaves behind: the fill running, its first range committed, a heartbeat."""
    settings.SYNTHGOV_FILL_CHUNK_IDS = 2
    requested = membership_fill_request(collection=collection, filters={}, acting_user=curator)
    fills_module._start(requested.pk)
    fills_module._fill_next_range(requested.pk)
    return MembershipFill.objects.get(pk=requested.pk)


def _silent_for(fill: MembershipFill, seconds: int) -> None:
    MembershipFill.objects.filter(pk=fill.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_each_committed_range_beats_the_fills_heartbeat(collection, approved_pair, curator, settings):
    for _ in range(4):
        approved_pair()
    died = _worker_died_after_one_range(collection, curator, settings)
    _silent_for(died, 3600)

    fills_module._fill_next_range(died.pk)

    assert MembershipFill.objects.get(pk=died.pk).heartbeat_at > timezone.now() - timedelta(minutes=1)


def test_the_sweep_resumes_a_running_fill_silent_past_the_stale_limit(
    collection, approved_pair, curator, settings, django_capture_on_commit_callbacks
):
    for _ in range(4):
        approved_pair()
    died = _worker_died_after_one_range(collection, curator, settings)
    _silent_for(died, settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)

    resumed = membership_fills_resume_stale()  # q2 runs the queued task inline in the test settings

    done = MembershipFill.objects.get(pk=died.pk)
    assert resumed == [died.pk]
    assert (done.status, done.matched, done.added, done.already_members) == ("succeeded", 4, 4, 0)
    assert Membership.objects.filter(collection=collection).count() == 4


def test_the_sweep_leaves_a_fill_with_a_recent_heartbeat_alone(collection, approved_pair, curator, settings):
    for _ in range(4):
        approved_pair()
    running = _worker_died_after_one_range(collection, curator, settings)
    _silent_for(running, settings.SYNTHGOV_SHARD_STALE_SECONDS - 60)

    assert membership_fills_resume_stale() == []
    assert MembershipFill.objects.get(pk=running.pk).status == MembershipFill.Status.RUNNING


def test_the_sweep_leaves_finished_fills_alone(fill, approved_pair, settings):
    approved_pair()
    done = fill()
    _silent_for(done, settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)

    assert membership_fills_resume_stale() == []


def test_a_transient_database_fault_leaves_the_fill_running_to_be_resumed(
    collection, approved_pair, curator, monkeypatch
):
    approved_pair()
    requested = membership_fill_request(collection=collection, filters={}, acting_user=curator)

    def connection_lost(fill_id):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(fills_module, "_fill_next_range", connection_lost)
    with pytest.raises(OperationalError):
        membership_fill_run(fill_id=requested.pk)

    requested.refresh_from_db()
    assert (requested.status, requested.error) == (MembershipFill.Status.RUNNING, "")


def test_every_cluster_is_given_the_stale_fill_sweep(db):
    sweep = Schedule.objects.get(name=STALE_FILL_SWEEP)

    assert (sweep.func, sweep.schedule_type, sweep.minutes) == (
        "collections_app.tasks.resume_stale_fills",
        Schedule.MINUTES,
        1,
    )


def test_each_added_membership_has_a_history_row_naming_the_requester(fill, collection, approved_pair, curator):
    pairs = [approved_pair(), approved_pair()]

    done = fill()

    history = Membership.history.filter(collection_id=collection.pk)
    assert sorted(history.values_list("qa_pair_id", flat=True)) == [pair.pk for pair in pairs]
    assert {(row.history_type, row.history_user_id, row.history_change_reason) for row in history} == {
        ("+", curator.pk, f"added by fill #{done.pk}")
    }


def test_the_fill_records_its_transitions_in_its_history(fill, approved_pair, curator):
    approved_pair()

    done = fill()

    assert list(done.history.order_by("history_id").values_list("status", "history_change_reason")) == [
        ("pending", "requested"),
        ("running", "started"),
        ("succeeded", "succeeded"),
    ]


def test_a_fill_that_matches_nothing_succeeds_with_zero_counts(fill, collection):
    done = fill({"source": "imported"})

    assert done.status == MembershipFill.Status.SUCCEEDED
    assert (done.matched, done.added) == (0, 0)


def test_a_fill_needs_the_add_membership_permission(collection, nobody):
    with pytest.raises(PermissionRefused) as refused:
        membership_fill_request(collection=collection, filters={}, acting_user=nobody)

    assert "collections_app.add_membership" in refused.value.message
    assert not MembershipFill.objects.exists()


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"chapter": 999_999}, "chapter"),
        ({"quality_score_min": 1.5}, "quality_score_min"),
        ({"quality_score_min": -0.1}, "quality_score_min"),
        ({"source": "scraped"}, "source"),
        ({"flagged": "maybe"}, "flagged"),
        ({"tenant_id": "a" * 201}, "tenant_id"),
        ({"tenant_id": "ac\x00me"}, "tenant_id"),
        ({"tenant_id": ["acme"]}, "tenant_id"),
        ({"colour": "blue"}, "filters"),
    ],
)
def test_a_bad_filter_is_refused_naming_it_and_nothing_is_queued(collection, curator, filters, field):
    with pytest.raises(InvalidInput) as refused:
        membership_fill_request(collection=collection, filters=filters, acting_user=curator)

    assert field in refused.value.problems
    assert not MembershipFill.objects.exists()


@pytest.mark.parametrize("weight", [0, -1.0, float("nan")])
def test_a_fill_refuses_a_weight_that_is_not_above_zero(collection, curator, weight):
    with pytest.raises(InvalidInput):
        membership_fill_request(collection=collection, filters={}, weight=weight, acting_user=curator)
