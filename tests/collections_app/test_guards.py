"""The guards at add and release time: tenant, target surface, synthetic wall, PII, leaks between
splits, and the warning about test pairs another collection trains on."""

from pathlib import Path

import pytest
from django.conf import settings

from collections_app.guards import LEAK_REFUSED, SURFACES_FOR_PURPOSE
from collections_app.models import Collection, Membership, Release, ReleaseItem, Split
from collections_app.services import collection_add_pairs, collection_release, collection_save
from qa_app.assessment import index_pair
from qa_app.models import QAPair
from qa_app.services import qa_pairs_review
from synthgov.errors import InvalidInput, TransitionRefused
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory

PII_FLAG = {"code": "pii_email", "field": "answer", "match": "j***@e***.com"}
# Sixty words: changing the last one keeps the word-triple similarity far above the threshold.
LONG_TEXT = " ".join(f"word{index}" for index in range(60))


@pytest.fixture
def add(curator):
    def add(collection, *pairs, split=Split.TRAIN):
        return collection_add_pairs(collection=collection, pairs=pairs, split=split, acting_user=curator)

    return add


def assert_nothing_released(collection):
    assert not Release.objects.filter(collection=collection).exists()
    assert not ReleaseItem.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def slip_in(collection, *pairs, split=Split.TRAIN):
    """Memberships the add rules would refuse: rows older than a rule, or a rule changed since."""
    Membership.objects.bulk_create(Membership(collection=collection, qa_pair=pair, split=split) for pair in pairs)


def job_pairs(run_job, version, reviewer, *, surface: str, count: int = 2) -> list[QAPair]:
    job = run_job(version, target_surface=surface, record_count=count)
    pairs = list(QAPair.objects.filter(job=job))
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    return pairs


# --- tenant ---


def test_adding_a_pair_of_another_tenant_is_refused_naming_the_rule_and_the_pair(collection, approved_pair, add):
    own, foreign = approved_pair(tenant_id="acme"), approved_pair(tenant_id="globex")

    with pytest.raises(InvalidInput) as refused:
        add(collection, own, foreign)

    assert f"#{foreign.pk} belongs to tenant 'globex'" in refused.value.message
    assert "(tenant rule)" in refused.value.message
    assert f"#{own.pk}" not in refused.value.message
    assert not Membership.objects.exists()


def test_a_cross_tenant_collection_takes_pairs_of_every_tenant(approved_pair, add, curator):
    grant_view_all_tenants(curator)  # a cross-tenant collection is only for those who see every tenant
    collection = CollectionFactory(cross_tenant=True, tenant_id="")

    result = add(collection, approved_pair(tenant_id="acme"), approved_pair(tenant_id="globex"))

    assert result.added == 2


def test_release_leaves_out_members_of_another_tenant(collection, approved_pair, add, curator):
    add(collection, approved_pair(tenant_id="acme"))
    slip_in(collection, approved_pair(tenant_id="globex"))

    release = collection_release(collection=collection, acting_user=curator)

    assert release.items.count() == 1
    assert release.manifest["left_out"] == {"other_tenant": 1}
    assert release.manifest["guards"]["tenant"] == {"tenant_id": "acme", "cross_tenant": False}


def test_a_collection_needs_a_tenant_unless_it_is_cross_tenant(curator):
    with pytest.raises(Exception, match="belongs to one tenant"):
        collection_save(collection=Collection(slug="t", name="T"), acting_user=curator)

    assert not Collection.objects.exists()


# --- target surface ---


def test_the_fit_of_surfaces_to_purposes():
    assert SURFACES_FOR_PURPOSE == {
        Collection.Purpose.TRAINING: ("training",),
        Collection.Purpose.EVALUATION: ("training", "qa_fixtures"),
    }


def test_adding_pairs_of_a_demo_bundle_job_to_a_training_collection_is_refused(
    collection, add, approved_version, run_job, reviewer
):
    pairs = job_pairs(run_job, approved_version, reviewer, surface="demo_bundle")

    with pytest.raises(InvalidInput) as refused:
        add(collection, *pairs)

    assert f"#{pairs[0].pk} comes from a job for the demo_bundle surface" in refused.value.message
    assert "target-surface rule: training takes training" in refused.value.message
    assert not Membership.objects.exists()


def test_an_evaluation_collection_takes_pairs_of_a_qa_fixtures_job(add, approved_version, run_job, reviewer):
    evaluation = CollectionFactory(purpose="evaluation", allow_synthetic_in_evaluation=True)
    pairs = job_pairs(run_job, approved_version, reviewer, surface="qa_fixtures")

    assert add(evaluation, *pairs).added == 2


def test_a_training_collection_takes_pairs_of_a_training_job(collection, add, approved_version, run_job, reviewer):
    pairs = job_pairs(run_job, approved_version, reviewer, surface="training")

    assert add(collection, *pairs).added == 2


def test_release_leaves_out_members_whose_job_surface_does_not_fit(
    collection, approved_pair, add, approved_version, run_job, reviewer, curator
):
    add(collection, approved_pair())
    slip_in(collection, *job_pairs(run_job, approved_version, reviewer, surface="analytics_sandbox"))

    release = collection_release(collection=collection, acting_user=curator)

    assert release.manifest["left_out"] == {"target_surface": 2}


# --- synthetic wall ---


def test_adding_synthetic_pairs_to_an_evaluation_collection_is_refused_by_the_wall(approved_pair, add):
    evaluation = CollectionFactory(purpose="evaluation")
    pair = approved_pair(source=QAPair.Source.SYNTHETIC)

    with pytest.raises(InvalidInput, match=rf"#{pair.pk} is synthetic .*\(synthetic wall\)"):
        add(evaluation, pair)

    assert not Membership.objects.exists()


def test_every_manifest_after_the_wall_is_lifted_names_who_lifted_it_when_and_why(
    approved_pair, add, approver, curator
):
    evaluation = CollectionFactory(purpose="evaluation")
    evaluation.allow_synthetic_in_evaluation = True
    collection_save(collection=evaluation, acting_user=approver, reason="held-out synthetic probes")
    add(evaluation, approved_pair(source=QAPair.Source.SYNTHETIC))
    collection_save(collection=evaluation, acting_user=curator, reason="renamed")

    manifests = [collection_release(collection=evaluation, acting_user=curator).manifest for _ in range(2)]

    for manifest in manifests:
        wall = manifest["guards"]["synthetic_wall"]
        assert (wall["lifted"], wall["by"], wall["reason"]) == (True, "approver", "held-out synthetic probes")
        assert wall["at"]


def test_a_standing_wall_is_stated_in_the_manifest(approved_pair, add, curator):
    evaluation = CollectionFactory(purpose="evaluation")
    add(evaluation, approved_pair())

    release = collection_release(collection=evaluation, acting_user=curator)

    assert release.manifest["guards"]["synthetic_wall"] == {"lifted": False}


# --- PII ---


def test_adding_a_pii_flagged_pair_is_allowed(collection, approved_pair, add):
    assert add(collection, approved_pair(flags=[PII_FLAG])).added == 1


def test_release_leaves_out_pii_flagged_pairs_and_counts_them(collection, approved_pair, add, curator):
    clean, flagged = approved_pair(), approved_pair(flags=[PII_FLAG])
    add(collection, clean, flagged)

    release = collection_release(collection=collection, acting_user=curator)

    assert list(release.items.values_list("qa_pair_id", flat=True)) == [clean.pk]
    assert release.manifest["left_out"] == {"pii": 1}
    assert release.manifest["guards"]["allow_pii"] is False


def test_release_keeps_pairs_with_other_flags(collection, approved_pair, add, curator):
    add(collection, approved_pair(flags=[{"code": "locale_mismatch", "field": "answer"}]))

    release = collection_release(collection=collection, acting_user=curator)

    assert release.items.count() == 1
    assert release.manifest["left_out"] == {}


def test_release_of_a_collection_that_allows_pii_keeps_flagged_pairs_and_says_so(approved_pair, add, curator):
    collection = CollectionFactory(allow_pii=True)
    add(collection, approved_pair(flags=[PII_FLAG]), approved_pair(flags=[{**PII_FLAG, "code": "pii_iban"}]))

    release = collection_release(collection=collection, acting_user=curator)

    assert release.items.count() == 2
    assert release.manifest["guards"]["allow_pii"] is True
    assert release.manifest["guards"]["results"]["pii"] == "allowed"


# --- leak guard ---


def indexed_pair(approved_pair, text: str, **fields) -> QAPair:
    pair = approved_pair(question=text, answer="The answer.", **fields)
    index_pair(pair)
    return pair


@pytest.mark.parametrize("other_split", [Split.TEST, Split.VALIDATION])
def test_release_is_refused_when_near_duplicates_sit_in_train_and_another_split(
    collection, approved_pair, add, curator, other_split
):
    in_train = indexed_pair(approved_pair, LONG_TEXT + " end")
    elsewhere = indexed_pair(approved_pair, LONG_TEXT + " finish")
    add(collection, in_train, split=Split.TRAIN)
    add(collection, elsewhere, split=other_split)

    with pytest.raises(TransitionRefused) as refused:
        collection_release(collection=collection, acting_user=curator)

    assert refused.value.message.startswith(LEAK_REFUSED.split("{")[0])
    assert (
        f"train #{in_train.pk} and {other_split} #{elsewhere.pk}: near-duplicate, similarity" in refused.value.message
    )
    assert_nothing_released(collection)


def test_near_duplicates_in_the_same_split_pass_the_leak_guard(collection, approved_pair, add, curator):
    add(collection, indexed_pair(approved_pair, LONG_TEXT + " end"), indexed_pair(approved_pair, LONG_TEXT + " finish"))

    release = collection_release(collection=collection, acting_user=curator)

    assert release.manifest["guards"]["results"]["leak_train_test"] == "pass"
    assert release.manifest["guards"]["results"]["leak_train_validation"] == "pass"


def test_different_texts_sharing_no_bucket_pass_the_leak_guard(collection, approved_pair, add, curator):
    add(collection, indexed_pair(approved_pair, LONG_TEXT), split=Split.TRAIN)
    add(collection, indexed_pair(approved_pair, "A question about something else entirely."), split=Split.TEST)

    release = collection_release(collection=collection, acting_user=curator)

    assert release.items.count() == 2


# --- warning: a test pair in another collection's training data ---


def test_a_test_pair_in_the_train_split_of_another_collections_latest_release_is_a_warning(approved_pair, add, curator):
    shared = approved_pair()
    trainer = CollectionFactory(slug="trainer")
    add(trainer, shared, split=Split.TRAIN)
    collection_release(collection=trainer, acting_user=curator)
    evaluation = CollectionFactory(slug="bench", purpose="evaluation")
    add(evaluation, shared, split=Split.TEST)

    release = collection_release(collection=evaluation, acting_user=curator)

    guards = release.manifest["guards"]
    assert guards["results"]["test_in_other_releases_train"] == "warning"
    (warning,) = guards["warnings"]
    assert warning["release"] == "trainer v1"
    assert warning["pairs"] == [{"test_pair": shared.pk, "train_pair": shared.pk}]
    assert f"test #{shared.pk} = train #{shared.pk}" in warning["message"]


def test_only_the_latest_release_of_the_other_collection_counts_for_the_warning(approved_pair, add, curator, request):
    shared = approved_pair()
    trainer = CollectionFactory()
    add(trainer, shared, split=Split.TRAIN)
    collection_release(collection=trainer, acting_user=curator)
    Membership.objects.filter(collection=trainer, qa_pair=shared).update(split=Split.TEST)
    collection_release(collection=trainer, acting_user=curator)
    evaluation = CollectionFactory(purpose="evaluation")
    add(evaluation, shared, split=Split.TEST)

    release = collection_release(collection=evaluation, acting_user=curator)

    assert release.manifest["guards"]["warnings"] == []
    assert release.manifest["guards"]["results"]["test_in_other_releases_train"] == "pass"


# --- collections older than the tenant rule (migration 0009) ---


def test_a_collection_without_a_tenant_takes_its_members_tenant_when_they_share_one(approved_pair):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("collections_app.migrations.0009_approvers_change_collections")
    single, mixed = CollectionFactory(tenant_id=""), CollectionFactory(tenant_id="")
    slip_in(single, approved_pair(tenant_id="acme"), approved_pair(tenant_id="acme"))
    slip_in(mixed, approved_pair(tenant_id="acme"), approved_pair(tenant_id="globex"))

    migration.tenant_from_members(apps, None)

    single.refresh_from_db()
    mixed.refresh_from_db()
    assert (single.tenant_id, mixed.tenant_id, mixed.cross_tenant) == ("acme", "", False)


def test_another_tenants_release_gives_no_warning(approved_pair, add, curator):
    shared = approved_pair(tenant_id="globex")
    other_tenant = CollectionFactory(tenant_id="globex")
    add(other_tenant, shared, split=Split.TRAIN)
    collection_release(collection=other_tenant, acting_user=curator)
    evaluation = CollectionFactory(purpose="evaluation")
    add(evaluation, approved_pair(question=shared.question, answer=shared.answer), split=Split.TEST)

    release = collection_release(collection=evaluation, acting_user=curator)

    assert release.manifest["guards"]["warnings"] == []
