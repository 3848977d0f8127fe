"""The QA pair changelist's list filters: each one hands its query parameters to the one filter
definition, `qa_app.filters.QAPairFilter` (through `selectors.qa_pairs_filtered`), so the admin,
the API and the review queue filter by the same rules and take the same parameter names.

Choice filters list small tables (chapters, subchapters, templates) or fixed codes (flags). Filters
over columns with many values (tenant, locale, job, template version) and the score ranges are
input boxes: listing their values would need SELECT DISTINCT over every pair on each page load.
A malformed value shows the filter's own message and the list unfiltered.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from templates_app.models import Chapter, PromptTemplate, Subchapter

from .assessment import FLAG_CODES
from .selectors import qa_pairs_filtered

PAGE_VAR = "p"


def apply_filters(request, queryset, used: dict[str, list[str]]):
    """`queryset` filtered by the parameters one list filter took; a bad value is an admin error."""
    if not used:
        return queryset
    data = QueryDict(mutable=True)
    for name, values in used.items():
        data.setlist(name, values)
    filtered, errors = qa_pairs_filtered(queryset, data)
    if errors:
        problems = "; ".join(f"{field}: {' '.join(map(str, texts))}" for field, texts in errors.items())
        messages.error(request, f"Filter not applied — {problems}")
        raise IncorrectLookupParameters(problems)
    return filtered


class ChoiceFilter(admin.SimpleListFilter):
    """A list of links, one per choice, each setting `parameter_name`."""

    def queryset(self, request, queryset):
        value = self.value()
        return apply_filters(request, queryset, {self.parameter_name: [value]} if value is not None else {})


class ChapterFilter(ChoiceFilter):
    title = _("chapter")
    parameter_name = "chapter"

    def lookups(self, request, model_admin):
        return [(chapter.pk, chapter.title or chapter.key) for chapter in Chapter.objects.order_by("key")]


class SubchapterFilter(ChoiceFilter):
    title = _("subchapter")
    parameter_name = "subchapter"

    def lookups(self, request, model_admin):
        subchapters = Subchapter.objects.select_related("chapter").order_by("chapter__key", "key")
        return [(subchapter.pk, str(subchapter)) for subchapter in subchapters]


class TemplateFilter(ChoiceFilter):
    title = _("template")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        return list(PromptTemplate.objects.order_by("key").values_list("pk", "key"))


class FlagFilter(ChoiceFilter):
    title = _("validation flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return list(FLAG_CODES.items())


class NearDuplicateFilter(ChoiceFilter):
    title = _("has near-duplicate")
    parameter_name = "has_near_duplicate"

    def lookups(self, request, model_admin):
        return [("true", _("Yes")), ("false", _("No"))]


class InputFilter(admin.ListFilter):
    """Text boxes for `parameters` (name -> label), submitted with the changelist's other parameters."""

    template = "admin/qa_app/input_filter.html"
    parameters: dict[str, str] = {}

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.request = request
        for name in self.parameters:
            if name in params:
                self.used_parameters[name] = params.pop(name)

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        return apply_filters(request, queryset, self.used_parameters)

    def inputs(self):
        return [
            {"name": name, "label": label, "value": (self.used_parameters.get(name) or [""])[-1]}
            for name, label in self.parameters.items()
        ]

    def hidden(self):
        """The changelist's other parameters, kept when this filter's form is submitted."""
        return [
            (name, value)
            for name, values in self.request.GET.lists()
            if name not in self.parameters and name != PAGE_VAR
            for value in values
        ]

    def choices(self, changelist):
        yield {
            "selected": not self.used_parameters,
            "query_string": changelist.get_query_string(remove=list(self.parameters)),
            "display": _("All"),
        }


class TenantFilter(InputFilter):
    title = _("tenant")
    parameters = {"tenant_id": _("tenant id")}


class LocaleFilter(InputFilter):
    title = _("locale")
    parameters = {"locale": _("locale")}


class JobFilter(InputFilter):
    title = _("job")
    parameters = {"job": _("job id")}


class ImportRunFilter(InputFilter):
    title = _("import")
    parameters = {"import_run": _("import id")}


class TemplateVersionFilter(InputFilter):
    title = _("template version")
    parameters = {"template_version": _("version id")}


class QualityRangeFilter(InputFilter):
    title = _("quality score")
    parameters = {"quality_score_min": _("min"), "quality_score_max": _("max")}


class JudgeScoreRangeFilter(InputFilter):
    title = _("LLM judge score")
    parameters = {"judge_score_min": _("min"), "judge_score_max": _("max")}


QUEUE_LIST_FILTERS = [
    ChapterFilter,
    SubchapterFilter,
    TemplateFilter,
    TemplateVersionFilter,
    JobFilter,
    ImportRunFilter,
    TenantFilter,
    LocaleFilter,
    QualityRangeFilter,
    FlagFilter,
    JudgeScoreRangeFilter,
    NearDuplicateFilter,
]
