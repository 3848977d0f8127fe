"""collection_release: an immutable, checksummed snapshot of a collection's approved pairs."""

import hashlib
import json
from pathlib import Path

import pytest
from django.conf import settings

from collections_app.exporters import openai_chat
from collections_app.models import Membership, Release, ReleaseItem, Split
from collections_app.services import (
    NOTHING_TO_RELEASE,
    collection_add_pairs,
    collection_release,
    collection_remove_pairs,
    release_file_path,
)
from qa_app.models import QAPair
from qa_app.services import qa_pair_edit, qa_pair_reopen, qa_pairs_review
from synthgov.errors import PermissionRefused, TransitionRefused
from tests.conftest import grant_view_all_tenants
from tests.factories import CollectionFactory


def release_directory(release_or_slug, version=None) -> Path:
    if isinstance(release_or_slug, Release):
        return Path(settings.MEDIA_ROOT) / release_or_slug.storage_path
    return Path(settings.MEDIA_ROOT) / "releases" / release_or_slug / f"v{version}"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def add(curator):
    def add(collection, *pairs, split=Split.TRAIN, weight=1.0):
        collection_add_pairs(collection=collection, pairs=pairs, split=split, weight=weight, acting_user=curator)

    return add


def assert_nothing_released(collection):
    assert not Release.objects.filter(collection=collection).exists()
    assert not ReleaseItem.objects.exists()
    # Anywhere under the media root, not only where this collection's releases would go.
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_release_of_a_collection_without_members_is_refused(collection, curator):
    with pytest.raises(TransitionRefused) as refused:
        collection_release(collection=collection, acting_user=curator)

    assert refused.value.message == NOTHING_TO_RELEASE.format(slug=collection.slug)
    assert_nothing_released(collection)


def test_release_without_approved_members_is_refused(collection, approved_pair, add, reviewer, curator):
    pair = approved_pair()
    add(collection, pair)
    qa_pair_reopen(pair=pair, acting_user=reviewer, reason="second look")

    with pytest.raises(TransitionRefused) as refused:
        collection_release(collection=collection, acting_user=curator)

    assert refused.value.message == NOTHING_TO_RELEASE.format(slug=collection.slug)
    assert_nothing_released(collection)


def test_release_publishes_a_release_with_its_manifest_and_files(collection, approved_pair, add, curator):
    add(collection, approved_pair())

    release = collection_release(collection=collection, acting_user=curator)

    release.refresh_from_db()
    assert release.status == Release.Status.PUBLISHED
    assert release.published_at is not None
    assert release.created_by == curator
    assert release.manifest["collection"] == collection.slug
    assert release.manifest["format"] == openai_chat.FORMAT
    assert [entry["name"] for entry in release.files] == ["openai_chat/train.jsonl", "README.md", "manifest.json"]


def test_release_contains_only_approved_pairs_and_counts_the_rest_by_reason(
    collection, approved_pair, add, reviewer, curator
):
    released = [approved_pair(), approved_pair()]
    reopened = approved_pair()
    add(collection, *released, reopened)
    qa_pair_reopen(pair=reopened, acting_user=reviewer, reason="second look")

    release = collection_release(collection=collection, acting_user=curator)

    assert set(release.items.values_list("qa_pair_id", flat=True)) == {pair.pk for pair in released}
    assert release.manifest["rows"] == 2
    assert release.manifest["left_out"] == {"not_approved:pending": 1}


def test_release_leaves_out_rejected_pairs_as_not_approved_rejected(collection, approved_pair, add, reviewer, curator):
    kept, rejected = approved_pair(), approved_pair()
    add(collection, kept, rejected)
    qa_pair_reopen(pair=rejected, acting_user=reviewer, reason="second look")
    qa_pairs_review(pairs=[rejected], approve=False, acting_user=reviewer, reason="wrong answer")

    release = collection_release(collection=collection, acting_user=curator)

    assert list(release.items.values_list("qa_pair_id", flat=True)) == [kept.pk]
    assert release.manifest["left_out"] == {"not_approved:rejected": 1}


def test_release_leaves_out_pairs_of_preview_jobs(
    collection, approved_pair, add, draft_version, run_job, reviewer, curator
):
    preview = run_job(draft_version, production=False, record_count=3)
    preview_pairs = list(QAPair.objects.filter(job=preview))
    qa_pairs_review(pairs=preview_pairs, approve=True, acting_user=reviewer)
    person_written = approved_pair()
    add(collection, person_written)
    # collection_add_pairs refuses preview pairs; these memberships stand for rows that got in
    # another way (data written before that rule, a direct database fix).
    Membership.objects.bulk_create(
        Membership(collection=collection, qa_pair=pair, split=Split.TRAIN, added_by=curator) for pair in preview_pairs
    )

    release = collection_release(collection=collection, acting_user=curator)

    assert list(release.items.values_list("qa_pair_id", flat=True)) == [person_written.pk]
    assert release.manifest["left_out"] == {"preview_job": 3}


def test_release_includes_pairs_of_production_jobs_with_their_lineage(
    collection, add, approved_version, run_job, reviewer, curator
):
    job = run_job(approved_version, record_count=3)
    pairs = list(QAPair.objects.filter(job=job))
    qa_pairs_review(pairs=pairs, approve=True, acting_user=reviewer)
    add(collection, *pairs)

    release = collection_release(collection=collection, acting_user=curator)

    assert release.items.count() == 3
    lineage = release.manifest["lineage"]
    assert lineage["jobs"] == [job.pk]
    assert lineage["sources"] == {"synthetic": 3}
    version_key = f"{approved_version.template.key} v{approved_version.version} {approved_version.content_sha256[:12]}"
    assert lineage["template_versions"] == {version_key: 3}


@pytest.fixture
def two_tenant_collection(curator):
    """Same content is unique per tenant: exact duplicates meet in a cross-tenant collection (which
    only a user who sees every tenant may fill and release)."""
    grant_view_all_tenants(curator)
    return CollectionFactory(cross_tenant=True, tenant_id="")


def test_release_is_refused_when_the_same_content_would_be_in_train_and_test(
    two_tenant_collection, approved_pair, add, curator
):
    in_train = approved_pair(tenant_id="acme", question="What is 2 plus 2?", answer="4")
    in_test = approved_pair(tenant_id="globex", question="What is 2 plus 2?", answer="4")
    add(two_tenant_collection, in_train, split=Split.TRAIN)
    add(two_tenant_collection, in_test, split=Split.TEST)

    with pytest.raises(TransitionRefused) as refused:
        collection_release(collection=two_tenant_collection, acting_user=curator)

    assert f"train #{in_train.pk} and test #{in_test.pk}: same content" in refused.value.message
    assert_nothing_released(two_tenant_collection)


def test_release_treats_content_differing_only_in_case_and_spacing_as_the_same(
    two_tenant_collection, approved_pair, add, curator
):
    add(two_tenant_collection, approved_pair(tenant_id="acme", question="What is 2 plus 2?", answer="4"))
    add(
        two_tenant_collection,
        approved_pair(tenant_id="globex", question="what  is 2 PLUS 2? ", answer="4"),
        split=Split.TEST,
    )

    with pytest.raises(TransitionRefused, match="leak guard"):
        collection_release(collection=two_tenant_collection, acting_user=curator)

    assert_nothing_released(two_tenant_collection)


def test_release_is_refused_when_the_same_content_would_be_in_train_and_validation(
    two_tenant_collection, approved_pair, add, curator
):
    in_train = approved_pair(tenant_id="acme", question="Same?", answer="Yes.")
    in_validation = approved_pair(tenant_id="globex", question="Same?", answer="Yes.")
    add(two_tenant_collection, in_train, split=Split.TRAIN)
    add(two_tenant_collection, in_validation, split=Split.VALIDATION)

    with pytest.raises(TransitionRefused) as refused:
        collection_release(collection=two_tenant_collection, acting_user=curator)

    assert f"train #{in_train.pk} and validation #{in_validation.pk}: same content" in refused.value.message
    assert_nothing_released(two_tenant_collection)


def test_release_allows_the_same_content_in_validation_and_test(two_tenant_collection, approved_pair, add, curator):
    add(two_tenant_collection, approved_pair(tenant_id="acme", question="Same?", answer="Yes."), split=Split.TEST)
    add(
        two_tenant_collection,
        approved_pair(tenant_id="globex", question="Same?", answer="Yes."),
        split=Split.VALIDATION,
    )

    release = collection_release(collection=two_tenant_collection, acting_user=curator)

    assert release.items.count() == 2


def test_release_that_fails_while_writing_files_leaves_nothing_behind(
    collection, approved_pair, add, curator, monkeypatch
):
    add(collection, approved_pair(), split=Split.TRAIN)
    add(collection, approved_pair(), split=Split.TEST)
    written = []

    def lines_then_fail(release, split):
        written.append(split)
        yield b"{}\n"
        raise OSError("disk full")

    monkeypatch.setattr(openai_chat, "lines", lines_then_fail)

    with pytest.raises(OSError, match="disk full"):
        collection_release(collection=collection, acting_user=curator)

    assert written, "the failure must come after a file was started for this test to mean anything"
    assert_nothing_released(collection)


def test_release_versions_count_up_per_collection(approved_pair, add, curator):
    first, second = CollectionFactory(), CollectionFactory()
    add(first, approved_pair())
    add(second, approved_pair())

    versions = [
        collection_release(collection=first, acting_user=curator).version,
        collection_release(collection=first, acting_user=curator).version,
        collection_release(collection=second, acting_user=curator).version,
    ]

    assert versions == [1, 2, 1]


def test_release_refused_for_overlap_does_not_use_up_a_version_number(
    two_tenant_collection, approved_pair, add, curator
):
    collection = two_tenant_collection
    add(collection, approved_pair())
    collection_release(collection=collection, acting_user=curator)
    add(collection, approved_pair(tenant_id="acme", question="Dup?", answer="Dup."), split=Split.TRAIN)
    clash = approved_pair(tenant_id="globex", question="Dup?", answer="Dup.")
    add(collection, clash, split=Split.TEST)
    with pytest.raises(TransitionRefused):
        collection_release(collection=collection, acting_user=curator)
    collection_remove_pairs(collection=collection, pairs=[clash], acting_user=curator)

    release = collection_release(collection=collection, acting_user=curator)

    assert release.version == 2


def test_release_writes_one_jsonl_file_per_split_in_use_and_a_manifest(collection, approved_pair, add, curator):
    add(collection, approved_pair(), approved_pair(), split=Split.TRAIN)
    add(collection, approved_pair(), split=Split.TEST)

    release = collection_release(collection=collection, acting_user=curator)

    directory = release_directory(release)
    assert sorted(str(path.relative_to(directory)) for path in directory.rglob("*.*")) == [
        "README.md",
        "manifest.json",
        "openai_chat/test.jsonl",
        "openai_chat/train.jsonl",
    ]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert {entry["name"]: (entry["split"], entry["rows"]) for entry in manifest["files"]} == {
        "openai_chat/train.jsonl": ("train", 2),
        "openai_chat/test.jsonl": ("test", 1),
        "README.md": (None, None),
    }
    assert manifest["rows"] == 3


def test_release_manifest_checksums_and_row_counts_match_the_files_on_disk(collection, approved_pair, add, curator):
    add(collection, *[approved_pair() for _ in range(3)], split=Split.TRAIN)
    add(collection, approved_pair(), split=Split.VALIDATION)
    add(collection, approved_pair(), split=Split.TEST)

    release = collection_release(collection=collection, acting_user=curator)

    directory = release_directory(release)
    manifest = json.loads((directory / "manifest.json").read_text())
    data_files = [entry for entry in manifest["files"] if entry["format"]]
    assert [entry["name"] for entry in data_files] == [
        "openai_chat/train.jsonl",
        "openai_chat/validation.jsonl",
        "openai_chat/test.jsonl",
    ]
    for entry in data_files:
        content = (directory / entry["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
        assert len(content.splitlines()) == entry["rows"]


def test_release_manifest_stored_on_the_release_is_the_manifest_file(collection, approved_pair, add, curator):
    add(collection, approved_pair())

    release = collection_release(collection=collection, acting_user=curator)

    release.refresh_from_db()
    assert release.manifest == json.loads((release_directory(release) / "manifest.json").read_text())


def test_release_files_list_the_manifest_with_its_checksum(collection, approved_pair, add, curator):
    add(collection, approved_pair())

    release = collection_release(collection=collection, acting_user=curator)

    entry = next(entry for entry in release.files if entry["name"] == "manifest.json")
    content = (release_directory(release) / "manifest.json").read_bytes()
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["bytes"] == len(content)


def test_release_lines_are_openai_chat_messages_with_context_before_the_question(
    collection, approved_pair, add, curator
):
    add(
        collection,
        approved_pair(
            question="What is the capital?",
            answer="Paris.",
            context="France is a country in Europe.",
            metadata={"system_prompt": "Answer briefly."},
        ),
    )

    release = collection_release(collection=collection, acting_user=curator)

    assert read_jsonl(release_directory(release) / "openai_chat" / "train.jsonl") == [
        {
            "messages": [
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "France is a country in Europe.\n\nWhat is the capital?"},
                {"role": "assistant", "content": "Paris."},
            ]
        }
    ]


def test_release_lines_have_no_system_message_when_the_pair_has_no_system_prompt(
    collection, approved_pair, add, curator
):
    add(collection, approved_pair(question="Ping?", answer="Pong.", metadata={}))

    release = collection_release(collection=collection, acting_user=curator)

    assert read_jsonl(release_directory(release) / "openai_chat" / "train.jsonl") == [
        {"messages": [{"role": "user", "content": "Ping?"}, {"role": "assistant", "content": "Pong."}]}
    ]


def test_release_keeps_non_ascii_text_readable(collection, approved_pair, add, curator):
    add(collection, approved_pair(question="Was kostet ein Brötchen?", answer="50 Cent – ungefähr."))

    release = collection_release(collection=collection, acting_user=curator)

    text = (release_directory(release) / "openai_chat" / "train.jsonl").read_text(encoding="utf-8")
    assert "Brötchen" in text
    assert "ungefähr" in text


def test_release_items_freeze_split_weight_and_content_hash(collection, approved_pair, add, curator, reviewer):
    pair = approved_pair(question="What is 3 plus 4?", answer="7")
    add(collection, pair, split=Split.VALIDATION, weight=2.5)
    release = collection_release(collection=collection, acting_user=curator)
    hash_at_release = pair.content_hash

    qa_pair_edit(pair=pair, acting_user=reviewer, answer="seven")
    collection.memberships.update(split=Split.TRAIN, weight=9.0)

    item = ReleaseItem.objects.get(release=release, qa_pair=pair)
    assert (item.split, item.weight, item.content_hash) == (Split.VALIDATION, 2.5, hash_at_release)
    pair.refresh_from_db()
    assert pair.content_hash != hash_at_release


def test_release_assigns_members_without_a_split_by_the_collection_ratios(approved_pair, add, curator):
    test_only = CollectionFactory(split_ratios={"train": 0.0, "validation": 0.0, "test": 1.0})
    add(test_only, approved_pair(), approved_pair(), split="")

    release = collection_release(collection=test_only, acting_user=curator)

    assert set(release.items.values_list("split", flat=True)) == {Split.TEST}
    assert sorted(path.name for path in (release_directory(release) / "openai_chat").iterdir()) == ["test.jsonl"]


def test_release_files_stay_reachable_after_the_collection_slug_changes(collection, approved_pair, add, curator):
    add(collection, approved_pair())
    release = collection_release(collection=collection, acting_user=curator)
    collection.slug = "maths-renamed"
    collection.save()

    release = Release.objects.get(pk=release.pk)

    assert release_file_path(release, "openai_chat/train.jsonl").is_file()


def test_release_under_a_reused_slug_keeps_the_files_of_the_earlier_release(approved_pair, add, curator):
    renamed = CollectionFactory(slug="maths")
    add(renamed, approved_pair())
    earlier = collection_release(collection=renamed, acting_user=curator)
    written_to = release_directory(earlier) / "openai_chat" / "train.jsonl"
    renamed.slug = "maths-old"
    renamed.save()
    newcomer = CollectionFactory(slug="maths")
    add(newcomer, approved_pair())

    collection_release(collection=newcomer, acting_user=curator)

    expected = next(entry["sha256"] for entry in earlier.files if entry["name"] == "openai_chat/train.jsonl")
    assert hashlib.sha256(written_to.read_bytes()).hexdigest() == expected


@pytest.mark.parametrize("user_fixture", ["nobody", "reviewer", "operator"])
def test_release_refuses_a_user_without_the_release_permission(collection, approved_pair, add, request, user_fixture):
    add(collection, approved_pair())
    user = request.getfixturevalue(user_fixture)

    with pytest.raises(PermissionRefused, match=r"collections_app\.release_collection"):
        collection_release(collection=collection, acting_user=user)

    assert_nothing_released(collection)
