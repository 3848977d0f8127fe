"""Templates as YAML files, one per template, in a stable layout that reads well in a Git diff.

Export writes every version with its status and content hash. Import never changes an approved
or archived version and never imports an approval: content that differs from what is stored
arrives as a draft (an existing draft of the same number is updated, anything else becomes
version n+1), so publishing still takes an approver. Content round-trips exactly.

`pinned_includes` (what a published version's `{% include %}`s resolved to) is written for a
reviewer to see, but never read back: imported content is a draft, whose references resolve to
the current approved versions and are pinned again at its publish. Versions are therefore matched
on their content without the pins. References are not required to resolve on import: templates
that include each other arrive together, all as drafts; publish checks them.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

from synthgov.errors import InvalidInput

from .models import CONTENT_FIELDS, Chapter, PromptTemplate, Subchapter, TemplateVersion
from .services import prompt_template_save, template_version_save_draft

FORMAT_VERSION = 1


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line text (templates) as `|` blocks, so a diff shows changed lines, not one long string."""


def _represent_text(dumper, text: str):
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_LiteralDumper.add_representer(str, _represent_text)


@dataclass
class ImportResult:
    templates_created: list[str] = field(default_factory=list)
    drafts_created: list[str] = field(default_factory=list)
    drafts_updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def template_document(template: PromptTemplate) -> dict:
    return {
        "format": FORMAT_VERSION,
        "key": template.key,
        "name": template.name,
        "chapter": {"key": template.chapter.key, "title": template.chapter.title},
        "subchapter": (
            {"key": template.subchapter.key, "title": template.subchapter.title} if template.subchapter_id else None
        ),
        "description": template.description,
        "versions": [_version_entry(version) for version in template.versions.order_by("version")],
    }


def _version_entry(version: TemplateVersion) -> dict:
    entry = {
        "version": version.version,
        "status": version.status,
        "content_sha256": version.content_sha256,
        **{name: getattr(version, name) for name in CONTENT_FIELDS},
    }
    if version.pinned_includes:
        entry["pinned_includes"] = version.pinned_includes
    return entry


def _canonical(content: dict) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def export_templates(directory: Path, templates=None) -> list[Path]:
    """Write `<key>.yaml` for each template; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    templates = templates if templates is not None else PromptTemplate.objects.all()
    written = []
    for template in templates.select_related("chapter", "subchapter").order_by("key"):
        path = directory / f"{template.key}.yaml"
        text = yaml.dump(template_document(template), Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def read_documents(directory: Path) -> list[tuple[Path, dict]]:
    documents = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path.name}: not valid YAML ({exc})") from exc
        missing = {"key", "name", "chapter", "versions"} - set(document or {})
        if missing:
            raise InvalidInput(f"{path.name}: missing {', '.join(sorted(missing))}")
        documents.append((path, document))
    if not documents:
        raise InvalidInput(f"No template files (*.yaml) in {directory}.")
    return documents


@transaction.atomic
def import_templates(documents: list[tuple[Path, dict]], *, acting_user) -> ImportResult:
    """Bring file content in as drafts; all files or none."""
    result = ImportResult()
    for path, document in documents:
        try:
            _import_document(document, acting_user=acting_user, result=result)
        except InvalidInput as exc:
            raise InvalidInput(f"{path.name}: {exc.message}") from exc
    return result


def _import_document(document: dict, *, acting_user, result: ImportResult) -> None:
    chapter, _ = Chapter.objects.get_or_create(
        key=document["chapter"]["key"], defaults={"title": document["chapter"].get("title", "")}
    )
    subchapter = None
    if document.get("subchapter"):
        subchapter, _ = Subchapter.objects.get_or_create(
            chapter=chapter,
            key=document["subchapter"]["key"],
            defaults={"title": document["subchapter"].get("title", "")},
        )
    template = PromptTemplate.objects.filter(key=document["key"]).first()
    if template is None:
        template = prompt_template_save(
            template=PromptTemplate(
                key=document["key"],
                name=document["name"],
                chapter=chapter,
                subchapter=subchapter,
                description=document.get("description", ""),
            ),
            acting_user=acting_user,
        )
        result.templates_created.append(template.key)
    stored = {version.version: version for version in template.versions.all()}
    for entry in document["versions"]:
        content = {
            name: entry.get(name, TemplateVersion._meta.get_field(name).get_default()) for name in CONTENT_FIELDS
        }
        candidate = TemplateVersion(template=template, **content)
        wanted = _canonical(content)
        existing = stored.get(entry.get("version"))
        if existing and _canonical(existing.content()) == wanted:
            result.unchanged += 1
        elif any(_canonical(version.content()) == wanted for version in stored.values()):
            # The same content already sits under another number (an earlier import): nothing new.
            result.unchanged += 1
        elif existing and existing.status == TemplateVersion.Status.DRAFT:
            for name, value in content.items():
                setattr(existing, name, value)
            template_version_save_draft(version=existing, acting_user=acting_user, check_references=False)
            result.drafts_updated.append(f"{template.key} v{existing.version}")
        else:
            draft = template_version_save_draft(version=candidate, acting_user=acting_user, check_references=False)
            stored[draft.version] = draft
            result.drafts_created.append(f"{template.key} v{draft.version}")
