"""Templates as YAML files: exported for Git review, imported back as drafts only."""

import pytest
import yaml
from django.core.management import CommandError, call_command

from templates_app.files import export_templates, import_templates, read_documents
from templates_app.models import PromptTemplate, TemplateVersion
from templates_app.services import template_version_new_draft

AWKWARD = "line one\n  indented line with trailing spaces   \n\ttab, unicode é 🙂, quotes \" ' and {{ a }}\n"


@pytest.fixture
def exported(approved_version, tmp_path):
    export_templates(tmp_path)
    return tmp_path / f"{approved_version.template.key}.yaml"


def _delete_templates():
    TemplateVersion.objects.all().delete()
    PromptTemplate.objects.all().delete()


def test_export_writes_one_file_per_template_with_every_version(approved_version, author, tmp_path):
    template_version_new_draft(version=approved_version, acting_user=author)

    export_templates(tmp_path)

    document = yaml.safe_load((tmp_path / f"{approved_version.template.key}.yaml").read_text())
    assert [(entry["version"], entry["status"]) for entry in document["versions"]] == [
        (approved_version.version, "approved"),
        (approved_version.version + 1, "draft"),
    ]


def test_export_is_stable_from_one_run_to_the_next(exported, tmp_path):
    first = exported.read_text()
    export_templates(tmp_path)

    assert exported.read_text() == first


def test_multi_line_templates_are_written_as_literal_blocks(draft_version, approver, tmp_path):
    draft_version.question_template = "What is {{ a }}\nplus {{ b }}?"
    draft_version.save()

    export_templates(tmp_path)

    assert "question_template: |-\n" in (tmp_path / f"{draft_version.template.key}.yaml").read_text()


def test_a_round_trip_into_an_empty_database_keeps_every_versions_content_exactly(
    draft_version, author, approver, tmp_path
):
    draft_version.context_template = AWKWARD
    draft_version.variables = {"a": {"sampler": "choice", "values": [1, 2.5, "x", None, True]}}
    draft_version.save()
    hashes = list(TemplateVersion.objects.order_by("version").values_list("content_sha256", flat=True))
    export_templates(tmp_path)
    _delete_templates()

    import_templates(read_documents(tmp_path), acting_user=author)

    assert list(TemplateVersion.objects.order_by("version").values_list("content_sha256", flat=True)) == hashes


def test_import_brings_every_version_in_as_a_draft(exported, author):
    _delete_templates()

    import_templates(read_documents(exported.parent), acting_user=author)

    assert set(TemplateVersion.objects.values_list("status", flat=True)) == {"draft"}


def test_import_of_unchanged_files_changes_nothing(exported, author):
    result = import_templates(read_documents(exported.parent), acting_user=author)

    assert (result.drafts_created, result.drafts_updated, result.unchanged) == ([], [], 1)


def test_a_changed_approved_version_becomes_a_new_draft_and_the_approved_one_stays(exported, approved_version, author):
    document = yaml.safe_load(exported.read_text())
    document["versions"][0]["answer_template"] = "{{ b + a }}"
    exported.write_text(yaml.safe_dump(document))

    import_templates(read_documents(exported.parent), acting_user=author)

    approved_version.refresh_from_db()
    assert approved_version.answer_template == "{{ a + b }}"
    new = TemplateVersion.objects.get(template=approved_version.template, version=approved_version.version + 1)
    assert (new.status, new.answer_template, new.author) == ("draft", "{{ b + a }}", author)


def test_a_changed_draft_is_updated_in_place(draft_version, author, tmp_path):
    export_templates(tmp_path)
    path = tmp_path / f"{draft_version.template.key}.yaml"
    document = yaml.safe_load(path.read_text())
    document["versions"][0]["question_template"] = "How much is {{ a }} and {{ b }}?"
    path.write_text(yaml.safe_dump(document))

    import_templates(read_documents(tmp_path), acting_user=author)

    draft_version.refresh_from_db()
    assert draft_version.question_template == "How much is {{ a }} and {{ b }}?"
    assert TemplateVersion.objects.count() == 1


def test_importing_the_same_change_twice_creates_one_draft(exported, approved_version, author):
    document = yaml.safe_load(exported.read_text())
    document["versions"][0]["answer_template"] = "{{ b + a }}"
    exported.write_text(yaml.safe_dump(document))

    import_templates(read_documents(exported.parent), acting_user=author)
    import_templates(read_documents(exported.parent), acting_user=author)

    assert TemplateVersion.objects.filter(template=approved_version.template).count() == 2


def test_import_command_refuses_invalid_content_and_imports_nothing(exported, author, tmp_path):
    (tmp_path / "broken.yaml").write_text(
        yaml.safe_dump(
            {
                "key": "broken",
                "name": "Broken",
                "chapter": {"key": "arithmetic"},
                "versions": [{"version": 1, "question_template": "Q", "answer_template": "A", "variables": {"a": 1}}],
            }
        )
    )
    _delete_templates()

    with pytest.raises(CommandError, match=r"^Nothing was imported: broken.yaml: variables: a: "):
        call_command("import_templates", str(tmp_path), author=author.username)

    assert not PromptTemplate.objects.exists()


def test_import_command_refuses_a_file_that_is_not_yaml(author, tmp_path):
    (tmp_path / "bad.yaml").write_text("key: [unclosed")

    with pytest.raises(CommandError, match=r"^Nothing was imported: bad.yaml: not valid YAML"):
        call_command("import_templates", str(tmp_path), author=author.username)


def test_import_command_needs_an_existing_author(exported):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("import_templates", str(exported.parent), author="ghost")
