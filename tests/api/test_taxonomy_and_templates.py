"""chapters, subchapters and templates: plain CRUD for those with the model permissions."""

import pytest

from templates_app.models import Chapter, PromptTemplate
from tests.factories import ChapterFactory, PromptTemplateFactory, SubchapterFactory

CHAPTERS = "/api/v1/chapters/"
SUBCHAPTERS = "/api/v1/subchapters/"
TEMPLATES = "/api/v1/templates/"


@pytest.fixture
def editor(make_user):
    """Someone who may edit the taxonomy and templates (no role has all of it; an admin hands it out)."""
    from django.contrib.auth.models import Permission

    user = make_user("editor", "Template authors")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_chapter", "change_chapter", "delete_chapter", "add_subchapter"])
    )
    return user


def test_create_a_chapter(api, editor):
    response = api(editor).post(CHAPTERS, {"key": "algebra", "title": "Algebra"}, format="json")

    assert response.status_code == 201
    assert Chapter.objects.filter(key="algebra").exists()


def test_a_duplicate_chapter_key_answers_400_naming_key(api, editor):
    ChapterFactory(key="algebra")

    response = api(editor).post(CHAPTERS, {"key": "algebra", "title": "Algebra"}, format="json")

    assert response.status_code == 400
    assert response.json()["key"] == ["chapter with this key already exists."]


def test_a_chapter_key_must_be_a_slug(api, editor):
    response = api(editor).post(CHAPTERS, {"key": "Linear Algebra", "title": "Algebra"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "key"]


def test_rename_and_delete_a_chapter(api, editor):
    chapter = ChapterFactory(key="algebra")
    client = api(editor)

    assert client.patch(f"{CHAPTERS}{chapter.pk}/", {"title": "Algebra I"}, format="json").status_code == 200
    assert client.delete(f"{CHAPTERS}{chapter.pk}/").status_code == 204
    assert not Chapter.objects.exists()


def test_deleting_a_chapter_needs_the_delete_permission(api, author):
    chapter = ChapterFactory()

    assert api(author).delete(f"{CHAPTERS}{chapter.pk}/").status_code == 403


def test_subchapters_filter_by_chapter_key(api, author):
    addition = SubchapterFactory()
    SubchapterFactory(chapter=ChapterFactory(key="geometry", title="Geometry"), key="angles")

    response = api(author).get(SUBCHAPTERS, {"chapter_key": "arithmetic"})

    assert [row["id"] for row in response.json()["results"]] == [addition.pk]


def test_a_subchapter_key_is_unique_within_its_chapter(api, editor):
    addition = SubchapterFactory()

    response = api(editor).post(
        SUBCHAPTERS, {"chapter": addition.chapter.pk, "key": "addition", "title": "Again"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["The fields chapter, key must make a unique set."]


def test_create_a_template(api, author):
    subchapter = SubchapterFactory()

    response = api(author).post(
        TEMPLATES,
        {"key": "sums", "name": "Sums", "chapter": subchapter.chapter.pk, "subchapter": subchapter.pk},
        format="json",
    )

    assert response.status_code == 201
    assert PromptTemplate.objects.get(key="sums").subchapter == subchapter


def test_a_template_subchapter_of_another_chapter_answers_400_naming_subchapter(api, author):
    subchapter = SubchapterFactory()
    geometry = ChapterFactory(key="geometry", title="Geometry")

    response = api(author).post(
        TEMPLATES, {"key": "sums", "name": "Sums", "chapter": geometry.pk, "subchapter": subchapter.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["subchapter"] == ["The subchapter belongs to another chapter."]


def test_moving_a_template_to_another_chapter_keeps_the_subchapter_check(api, author):
    template = PromptTemplateFactory()
    geometry = ChapterFactory(key="geometry", title="Geometry")

    response = api(author).patch(f"{TEMPLATES}{template.pk}/", {"chapter": geometry.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["detail", "subchapter"]


def test_templates_filter_by_key(api, api_client_user):
    template = PromptTemplateFactory()
    PromptTemplateFactory()

    response = api(api_client_user).get(TEMPLATES, {"key": template.key})

    assert [row["id"] for row in response.json()["results"]] == [template.pk]


def test_writing_a_template_needs_the_add_permission(api, viewer):
    subchapter = SubchapterFactory()

    response = api(viewer).post(
        TEMPLATES, {"key": "sums", "name": "Sums", "chapter": subchapter.chapter.pk}, format="json"
    )

    assert response.status_code == 403


def test_an_unknown_template_answers_404(api, author):
    assert api(author).get(f"{TEMPLATES}999999/").status_code == 404
