"""The taxonomy admin shows how much sits under each chapter and subchapter."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from qa_app.selectors import qa_pair_count
from templates_app.models import Chapter
from templates_app.selectors import with_template_counts
from tests.factories import PromptTemplateFactory, QAPairFactory, TemplateVersionFactory


def test_chapters_count_their_templates_and_approved_versions(approved_version, author):
    TemplateVersionFactory(template=approved_version.template, author=author)
    PromptTemplateFactory()

    chapter = with_template_counts(
        Chapter.objects.filter(pk=approved_version.template.chapter_id), templates="templates"
    )

    assert chapter.values_list("template_count", "approved_version_count").get() == (2, 1)


def test_a_chapter_counts_the_qa_pairs_generated_from_its_templates(approved_version, run_job):
    job = run_job(approved_version, record_count=7)

    assert qa_pair_count(chapter=approved_version.template.chapter) == job.accepted_records == 7


def test_the_chapter_list_and_page_show_the_counts(client, superuser_factory, approved_version):
    client.force_login(superuser_factory())
    chapter = approved_version.template.chapter

    listing = client.get(reverse("admin:templates_app_chapter_changelist"))
    page = client.get(reverse("admin:templates_app_chapter_change", args=[chapter.pk]))
    subchapters = client.get(reverse("admin:templates_app_subchapter_changelist"))

    assert listing.status_code == page.status_code == subchapters.status_code == 200
    assert b"Approved versions" in listing.content
    assert b"QA pairs" in page.content


def test_a_chapter_page_counts_only_the_pairs_of_the_users_tenants(client, make_user, approved_version):
    chapter = approved_version.template.chapter
    QAPairFactory.create_batch(2, tenant_id="acme", lineage={"chapter": chapter.key})
    QAPairFactory.create_batch(3, tenant_id="globex", lineage={"chapter": chapter.key})
    member = make_user("acme-author", "Template authors", tenants=("acme",))
    member.user_permissions.add(Permission.objects.get(codename="view_chapter"))
    client.force_login(member)

    page = client.get(reverse("admin:templates_app_chapter_change", args=[chapter.pk]))

    assert page.status_code == 200
    assert page.context["original"].visible_pair_count == 2
