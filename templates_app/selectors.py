import dataclasses
import difflib
import json

from django.db.models import Count, Q, QuerySet

from synthgov.errors import InvalidInput

from .checks import problem_field
from .models import CONTENT_FIELDS, Chapter, PromptTemplate, Subchapter, TemplateVersion
from .rendering import CompiledVersion, TemplateRenderError
from .sampling import Coverage, SamplingContext, SamplingError, SpecError, VariableSampler, coverage
from .sampling.context import DEFAULT_LOCALE
from .sampling.coverage import expected_distinct


def with_template_counts(queryset: QuerySet, *, templates: str) -> QuerySet:
    """Annotate taxonomy rows with their templates and approved versions (`templates`: the path)."""
    return queryset.annotate(
        template_count=Count(templates, distinct=True),
        approved_version_count=Count(
            f"{templates}__versions",
            filter=Q(**{f"{templates}__versions__status": TemplateVersion.Status.APPROVED}),
            distinct=True,
        ),
    )


def template_version_taxonomy(version_id: int) -> tuple[str, str]:
    """(chapter key, subchapter key or "") of the version's template, in one query."""
    keys = TemplateVersion.objects.filter(pk=version_id).values_list(
        "template__chapter__key", "template__subchapter__key"
    )
    chapter_key, subchapter_key = keys.first() or ("", "")
    return chapter_key or "", subchapter_key or ""


PREVIEW_MAX_RECORDS = 50
PREVIEW_COUNT_OUT_OF_RANGE = f"count must be between 1 and {PREVIEW_MAX_RECORDS}."
COVERAGE_RECORD_COUNTS = (1_000, 10_000, 100_000)
# Shown in a diff as pretty-printed JSON with sorted keys, so a reordered dict is no change.
JSON_DIFF_FIELDS = ("variables", "output_schema", "exemplars", "pinned_includes")
# The pins of included templates change what a version renders, so a reviewer sees them change too.
DIFF_FIELDS = tuple(dict.fromkeys((*CONTENT_FIELDS, "pinned_includes")))


def version_preview(*, version, seed: int, count: int, locale: str = DEFAULT_LOCALE) -> list[dict]:
    """`count` records sampled and rendered as a job with this seed would: record i of the preview is record i
    of such a job.

    Each item: record_index, variables (those sampled, also when sampling failed part way), rendered (field ->
    text, None when the record failed) and error (None or what failed, naming the field and line). A version
    that cannot render at all (a template that does not compile, an invalid variables spec) raises InvalidInput
    naming the field, as no record could show anything else; so does a preview where no record renders.
    """
    if not 1 <= count <= PREVIEW_MAX_RECORDS:
        raise InvalidInput(PREVIEW_COUNT_OUT_OF_RANGE, field="count")
    try:
        compiled = CompiledVersion.compile(version)
    except TemplateRenderError as exc:
        raise InvalidInput(str(exc), field=exc.field) from exc
    try:
        sampler = VariableSampler(version.variables, SamplingContext.for_version(version, locale=locale))
    except SpecError as exc:
        raise InvalidInput("variables: " + "; ".join(exc.problems), field="variables") from exc
    records = [_preview_record(compiled, sampler, seed, record_index) for record_index in range(count)]
    if all(record["error"] for record in records):
        # Nothing rendered (an undefined variable, say): refused as a save would be, naming field and line.
        first = records[0]["error"]
        raise InvalidInput(f"No record renders: {first}", field=problem_field(first))
    return records


def _preview_record(compiled: CompiledVersion, sampler: VariableSampler, seed: int, record_index: int) -> dict:
    record = {"record_index": record_index, "variables": {}, "rendered": None, "error": None}
    try:
        record["variables"] = sampler.sample(seed, record_index)
        record["rendered"] = compiled.render(record["variables"])
    except SamplingError as exc:
        record["variables"] = exc.variables
        record["error"] = f"variables: {exc}"
    except TemplateRenderError as exc:
        record["error"] = str(exc)
    return record


def version_diff(*, version, other) -> list[dict]:
    """Unified line diffs from `other` to `version`, one per content field that differs.

    Each item: field and lines (difflib's unified diff, without line ends). Empty when the content is equal.
    """
    diffs = []
    for field in DIFF_FIELDS:
        before, after = _diffable(field, getattr(other, field)), _diffable(field, getattr(version, field))
        if before == after:
            continue
        lines = difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            fromfile=f"v{other.version} {field}",
            tofile=f"v{version.version} {field}",
            lineterm="",
        )
        diffs.append({"field": field, "lines": list(lines)})
    return diffs


def _diffable(field: str, value) -> str:
    if field in JSON_DIFF_FIELDS:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return value or ""


class TemplateVersionMissing(InvalidInput):
    """A template key (and revision) that names no version: no such template (field `template`),
    or the template has no such version, or no current one when no revision is named (field
    `template_revision`). Edges may add where to look, from `key`, `revision` and `template_exists`."""

    def __init__(self, *, key: str, revision: int | None, template_exists: bool):
        self.key, self.revision, self.template_exists = key, revision, template_exists
        if not template_exists:
            message, field = f"No template has the key {key!r}.", "template"
        elif revision is None:
            message, field = f"Template {key!r} has no current approved version.", "template_revision"
        else:
            message, field = f"Template {key!r} has no version {revision}.", "template_revision"
        super().__init__(message, field=field)


def template_version_by_key(*, key: str, revision: int | None = None, queryset=None) -> TemplateVersion:
    """Version `revision` of the template with this key, or its current version when no revision
    is named; raises TemplateVersionMissing. `queryset` may add select_related and the like."""
    versions = (TemplateVersion.objects.all() if queryset is None else queryset).filter(template__key=key)
    version = (versions.current() if revision is None else versions.filter(version=revision)).first()
    if version is None:
        raise TemplateVersionMissing(
            key=key, revision=revision, template_exists=PromptTemplate.objects.filter(key=key).exists()
        )
    return version


def previous_version(version) -> TemplateVersion | None:
    """The version numbered just below this one in the same template."""
    return (
        TemplateVersion.objects.filter(template_id=version.template_id, version__lt=version.version)
        .select_related("template")
        .order_by("-version")
        .first()
    )


def version_coverage(*, version, record_counts=COVERAGE_RECORD_COUNTS) -> list[Coverage]:
    """Coverage of the version's variables for jobs of each record count; counted once, as counting may walk
    up to MAX_ENUMERATED assignments. SpecError if the variables spec is invalid."""
    counted = coverage(version.variables, record_count=0, context=SamplingContext.for_version(version))
    return [
        dataclasses.replace(
            counted,
            record_count=record_count,
            covered_at_most=record_count if counted.combinations is None else min(record_count, counted.combinations),
            expected_distinct=None
            if counted.combinations is None
            else expected_distinct(counted.combinations, record_count),
        )
        for record_count in record_counts
    ]


def record_count_coverage_warning(*, version, record_count: int) -> str | None:
    """A warning when a job of `record_count` records must repeat variable combinations, or None.

    Not a refusal: a job may want repeats (and the duplicates are kept as outcomes), but nobody
    should get 1,879 duplicates of 2,000 records without being told.
    """
    try:
        (counted,) = version_coverage(version=version, record_counts=(record_count,))
    except SpecError:
        return None
    if counted.combinations is None or record_count <= counted.combinations:
        return None
    bound = "" if counted.exact else "at most "
    return (
        f"{record_count:,} records, but {version} has {bound}{counted.combinations:,} distinct variable "
        f"combinations: expect about {record_count - round(counted.expected_distinct):,} duplicates."
    )


def coverage_summary(*, version) -> dict:
    """How many distinct combinations the version's variables allow, for a form's hint."""
    try:
        (counted,) = version_coverage(version=version, record_counts=(0,))
    except SpecError as exc:
        return {"combinations": None, "exact": False, "text": f"Cannot count combinations: {exc}"}
    if counted.combinations is None:
        text = f"Unbounded: {', '.join(counted.unbounded)} can take unlimited values."
    else:
        text = f"{'' if counted.exact else 'at most '}{counted.combinations:,} distinct variable combinations."
    return {"combinations": counted.combinations, "exact": counted.exact, "text": text}


def taxonomy_keys_unknown(keys) -> list[str]:
    """The keys, sorted, that name no chapter ("chapter") or no subchapter ("chapter/subchapter").
    Two queries whatever the number of keys."""
    keys = set(keys)
    chapters = {key for key in keys if "/" not in key}
    pairs = {tuple(key.split("/", 1)) for key in keys if "/" in key}
    known = set(Chapter.objects.filter(key__in=chapters).values_list("key", flat=True)) if chapters else set()
    if pairs:
        rows = Subchapter.objects.filter(chapter__key__in={chapter for chapter, _ in pairs}).values_list(
            "chapter__key", "key"
        )
        known |= {f"{chapter}/{key}" for chapter, key in rows}
    return sorted(keys - known)


TEMPLATE_RESTRICTED = (
    "Template '{template}' is restricted to the tenants {allowed}; tenant {tenant!r} cannot use it. "
    "An administrator may add the tenant to the template's allowed tenants."
)


def template_tenant_refusal(template: PromptTemplate, tenant_key: str) -> str | None:
    """Why tenant `tenant_key` may not use `template` (its allowed tenants leave it out), or None.
    A template that names no tenant is shared by all."""
    allowed = sorted(template.allowed_tenants.values_list("key", flat=True))
    if allowed and tenant_key not in allowed:
        return TEMPLATE_RESTRICTED.format(template=template.key, allowed=", ".join(allowed), tenant=tenant_key)
    return None
