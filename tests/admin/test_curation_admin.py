"""The collection page's figures and coverage, "Add approved pairs by filter…", the fill's page and
its progress JSON, and the page comparing two releases."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from collections_app.models import Membership, MembershipFill, Release, ReleaseItem, Split
from collections_app.services import collection_add_pairs
from qa_app.models import QAPair
from tests.factories import ChapterFactory, CollectionFactory, QAPairFactory


@pytest.fixture
def collection(db):
    return CollectionFactory(slug="maths", split_ratios={"train": 0.8, "validation": 0.1, "test": 0.1})


def approved(count: int, **fields) -> list[QAPair]:
    return QAPairFactory.create_batch(count, review_status=QAPair.ReviewStatus.APPROVED, **fields)


# Session and user, the collection (its counts annotated), the member preview, four grouped figures,
# the release inline and the like, and the user's tenant keys: the same whatever the number of members.
PAGE_QUERIES = 12


def change_url(collection) -> str:
    return reverse("admin:collections_app_collection_change", args=[collection.pk])


def test_the_collection_page_shows_counts_per_split_source_chapter_and_review_status(client, curator, collection):
    collection_add_pairs(
        collection=collection, pairs=approved(2, source="imported"), split=Split.TRAIN, weight=1.5, acting_user=curator
    )
    reopened = approved(1)
    collection_add_pairs(collection=collection, pairs=reopened, split=Split.TEST, acting_user=curator)
    QAPair.objects.filter(pk=reopened[0].pk).update(review_status=QAPair.ReviewStatus.PENDING)
    client.force_login(curator)

    page = client.get(change_url(collection)).content.decode()

    assert "<td>train</td><td>2</td><td>3.00</td>" in page
    assert "<td>test</td><td>1</td><td>1.00</td>" in page
    assert "<td>imported</td><td>2</td>" in page
    assert "<td>pending</td><td>1</td>" in page
    not_approved = (
        reverse("admin:collections_app_membership_changelist")
        + f"?collection__id__exact={collection.pk}&amp;approved=no"
    )
    assert f'<a href="{not_approved}">1 member(s) no longer approved</a>' in page


def test_the_no_longer_approved_link_lists_exactly_those_members(client, curator, collection):
    pairs = approved(3)
    collection_add_pairs(collection=collection, pairs=pairs, acting_user=curator)
    QAPair.objects.filter(pk=pairs[1].pk).update(review_status=QAPair.ReviewStatus.REJECTED)
    client.force_login(curator)

    response = client.get(
        reverse("admin:collections_app_membership_changelist"),
        {"collection__id__exact": collection.pk, "approved": "no"},
    )

    assert [membership.qa_pair_id for membership in response.context["cl"].result_list] == [pairs[1].pk]


def test_the_collection_page_costs_the_same_queries_for_ten_or_two_hundred_members(
    client, curator, collection, django_assert_num_queries
):
    collection_add_pairs(collection=collection, pairs=approved(10), acting_user=curator)
    client.force_login(curator)
    client.get(change_url(collection))  # warm the session and content types

    with django_assert_num_queries(PAGE_QUERIES):
        client.get(change_url(collection))
    collection_add_pairs(collection=collection, pairs=approved(190, source="imported"), acting_user=curator)
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(change_url(collection))


def test_the_collection_page_shows_coverage_against_targets(client, curator, collection):
    ChapterFactory(key="geometry", title="Geometry")
    collection.coverage_targets = {"geometry": 40}
    collection.save()
    client.force_login(curator)

    page = client.get(change_url(collection)).content.decode()

    assert "<td>geometry</td><td>0</td><td>40</td><td>40</td>" in page


def test_the_collection_list_counts_members_and_releases_in_its_one_query(client, curator, collection):
    collection_add_pairs(collection=collection, pairs=approved(3), acting_user=curator)
    for _ in range(5):
        CollectionFactory()
    client.force_login(curator)

    response = client.get(reverse("admin:collections_app_collection_changelist"))

    row = next(result for result in response.context["cl"].result_list if result.pk == collection.pk)
    assert (row.members, row.releases_made) == (3, 0)


# Add by filter ----------------------------------------------------------------------------------


def fill_url(collection) -> str:
    return reverse("admin:collections_app_collection_fill", args=[collection.pk])


def test_the_collection_page_links_to_add_by_filter_for_curators(client, curator, collection):
    client.force_login(curator)

    assert fill_url(collection) in client.get(change_url(collection)).content.decode()


def test_adding_by_filter_in_the_admin_queues_a_fill_and_opens_its_page(
    client, curator, collection, django_capture_on_commit_callbacks
):
    pairs = approved(2, source="imported")
    approved(1)
    client.force_login(curator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            fill_url(collection), {"source": "imported", "flagged": "false", "split": "", "weight": "1", "apply": "1"}
        )

    fill = MembershipFill.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:collections_app_membershipfill_change", args=[fill.pk])
    assert fill.filters == {"source": "imported", "flagged": "false"}
    assert set(Membership.objects.values_list("qa_pair_id", flat=True)) == {pair.pk for pair in pairs}


def test_a_refused_filter_shows_on_its_field_and_queues_nothing(client, curator, collection):
    client.force_login(curator)

    response = client.post(fill_url(collection), {"template_version": "424242", "weight": "1", "apply": "1"})

    assert response.status_code == 200
    assert "template_version" in response.context["form"].errors
    assert not MembershipFill.objects.exists()


def test_add_by_filter_needs_the_add_membership_permission(client, make_user, collection):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_collection"))
    client.force_login(viewer)

    assert client.get(fill_url(collection)).status_code == 403
    assert fill_url(collection) not in client.get(change_url(collection)).content.decode()


def test_the_fill_page_shows_a_progress_bar_that_polls_while_the_fill_runs(client, curator, collection):
    fill = MembershipFill.objects.create(collection=collection, requested_by=curator)
    client.force_login(curator)
    progress = reverse("admin:collections_app_membershipfill_progress", args=[fill.pk])

    page = client.get(reverse("admin:collections_app_membershipfill_change", args=[fill.pk])).content.decode()

    assert f'data-progress-url="{progress}"' in page
    assert "synthgov/job_progress.js" in page


def test_the_progress_json_of_a_fill_has_its_counts(client, curator, collection, django_capture_on_commit_callbacks):
    approved(3)
    client.force_login(curator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(fill_url(collection), {"weight": "1", "apply": "1"})
    fill = MembershipFill.objects.get()

    data = client.get(reverse("admin:collections_app_membershipfill_progress", args=[fill.pk])).json()

    assert data["finished"] is True
    assert (data["processed"], data["total"], data["percent"]) == (3, 3, 100)
    assert data["fields"]["added"] == "3"
    assert data["text"] == "100% · 3/3 · 3 added, 0 already members, 0 refused"


# Release diff -----------------------------------------------------------------------------------


def release_of(collection, version: int, items: dict) -> Release:
    release = Release.objects.create(collection=collection, version=version, storage_path=f"r/{version}")
    ReleaseItem.objects.bulk_create(
        ReleaseItem(release=release, qa_pair=pair, split=split, weight=1.0, content_hash=content_hash)
        for pair, (split, content_hash) in items.items()
    )
    return release


def test_the_release_page_links_to_the_comparison_with_the_previous_release(client, curator, collection):
    release_of(collection, 1, {})
    v2 = release_of(collection, 2, {})
    client.force_login(curator)

    page = client.get(reverse("admin:collections_app_release_change", args=[v2.pk])).content.decode()

    assert f'<a href="{reverse("admin:collections_app_release_diff", args=[v2.pk])}">Compare with v1</a>' in page


def test_the_comparison_page_counts_each_change_and_links_the_pairs(client, curator, collection):
    kept, gone, new = QAPairFactory.create_batch(3)
    v1 = release_of(collection, 1, {kept: ("train", "a"), gone: ("train", "b")})
    v2 = release_of(collection, 2, {kept: ("test", "a"), new: ("train", "c")})
    client.force_login(curator)

    response = client.get(reverse("admin:collections_app_release_diff", args=[v2.pk]))

    assert response.status_code == 200
    counts = {category["name"]: category["count"] for category in response.context["categories"]}
    assert counts == {"added": 1, "removed": 1, "moved_split": 1, "changed_weight": 0, "changed_content": 0}
    assert response.context["against"] == v1
    page = response.content.decode()
    assert f'<a href="{reverse("admin:qa_app_qapair_change", args=[new.pk])}">#{new.pk}</a>' in page


def test_the_comparison_page_pages_a_long_category(client, curator, collection):
    pairs = QAPairFactory.create_batch(60)
    release_of(collection, 1, {})
    v2 = release_of(collection, 2, {pair: ("train", str(pair.pk)) for pair in pairs})
    client.force_login(curator)

    response = client.get(reverse("admin:collections_app_release_diff", args=[v2.pk]), {"page_added": 2})

    added = next(category for category in response.context["categories"] if category["name"] == "added")
    assert [pk for pk, _ in added["pairs"]] == [pair.pk for pair in pairs[50:]]
