"""The filters of the QA pair list and the review queue, defined once: the API's qa-pairs list
(`qa_app.api`), the admin changelist (`qa_app.admin_filters`, one list filter per filter here) and
`qa_app.selectors.qa_pairs_filtered` (the review queue page) all apply this FilterSet, so a rule
(what "has near-duplicate" means, how a judge score is read) is written once.

Flags and judge scores live in JSON columns: `flags` is a list of `{"code": ..., ...}` (codes in
`qa_app.assessment.FLAG_CODES`), the judge's score is `scores["llm_judge"]["score"]` in [0, 1].
"""

import django_filters
from django import forms
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from templates_app.models import Chapter, PromptTemplate, Subchapter

from . import search
from .assessment import FLAG_CODES, LLM_JUDGE_SCORE, NEAR_DUPLICATE
from .models import QAPair

MIN_ABOVE_MAX = "{low} ({low_value}) is above {high} ({high_value})."
# Range filters: (lower bound parameter, upper bound parameter).
YES_NO = [("true", "Yes"), ("false", "No")]
RANGES = (("quality_score_min", "quality_score_max"), ("judge_score_min", "judge_score_max"))


def has_flag(code: str) -> Q:
    """Pairs whose `flags` hold a flag with this code. PostgreSQL: containment, which the GIN index
    on flags answers; SQLite (no JSON containment): the flags' JSON array walked with json_each."""
    if connection.vendor == "postgresql":
        return Q(flags__contains=[{"code": code}])
    table = connection.ops.quote_name(QAPair._meta.db_table)
    code_of = "CASE WHEN type = 'object' THEN json_extract(value, '$.code') END"
    exists = f"EXISTS (SELECT 1 FROM json_each({table}.flags) WHERE {code_of} = %s)"
    return Q(RawSQL(exists, [code], output_field=BooleanField()))


def judge_score_path() -> str:
    """The lookup path of the LLM judge's score inside `scores`."""
    return f"scores__{LLM_JUDGE_SCORE}__score"


class QAPairFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for low, high in RANGES:
            low_value, high_value = cleaned.get(low), cleaned.get(high)
            if low_value is not None and high_value is not None and low_value > high_value:
                self.add_error(
                    low, MIN_ABOVE_MAX.format(low=low, low_value=low_value, high=high, high_value=high_value)
                )
        return cleaned


class QAPairFilter(django_filters.FilterSet):
    """Every filter of the pair list and review queue. Unknown ids and malformed values are form
    errors naming the parameter (the API answers 400 with them)."""

    search = django_filters.CharFilter(
        method="filter_search",
        max_length=search.MAX_SEARCH_CHARS,
        label='Full-text search in question, answer and context: words, "a phrase", or, -word',
    )
    # The methods decide (QAPairQuerySet.in_chapter/in_subchapter: generated, promoted and imported
    # pairs alike); the field names tell the OpenAPI schema the ids' type.
    chapter = django_filters.ModelChoiceFilter(
        queryset=Chapter.objects.all(),
        field_name="template_version__template__chapter",
        method="filter_chapter",
        label="Chapter (id): pairs generated in it (with any of its subchapters) or imported into it",
    )
    subchapter = django_filters.ModelChoiceFilter(
        queryset=Subchapter.objects.select_related("chapter"),
        field_name="template_version__template__subchapter",
        method="filter_subchapter",
        label="Subchapter (id): pairs generated for it (the job's subchapter, else the template's) or imported into it",
    )
    template = django_filters.ModelChoiceFilter(
        queryset=PromptTemplate.objects.all(), field_name="template_version__template", label="Template (id)"
    )
    # Scores lie in [0, 1]; a bound outside is a mistake (a percentage, say): refused, not matched.
    quality_score_min = django_filters.NumberFilter(
        field_name="quality_score", lookup_expr="gte", min_value=0, max_value=1
    )
    quality_score_max = django_filters.NumberFilter(
        field_name="quality_score", lookup_expr="lte", min_value=0, max_value=1
    )
    judge_score_min = django_filters.NumberFilter(
        method="filter_judge_score", label="LLM judge score at least (pairs the judge scored)"
    )
    judge_score_max = django_filters.NumberFilter(
        method="filter_judge_score", label="LLM judge score at most (pairs the judge scored)"
    )
    flag = django_filters.MultipleChoiceFilter(
        choices=list(FLAG_CODES.items()),
        method="filter_flag",
        label="Has every one of these flags (repeat the parameter for several)",
    )
    # Choices, not BooleanFilter: its widget reads any other word as "no filter"; here it is a 400.
    has_near_duplicate = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_has_near_duplicate", label="Has (true) or has no (false) near-duplicate"
    )
    flagged = django_filters.ChoiceFilter(choices=YES_NO, method="filter_flagged", label="Has any flag (true/false)")

    class Meta:
        model = QAPair
        fields = [
            "review_status",
            "source",
            "tenant_id",
            "locale",
            "job",
            "template_version",
            "import_run",
            "is_preview",
        ]
        form = QAPairFilterForm

    def filter_search(self, queryset, name, value):
        # Ranking is left to the caller (the API pages by id, the admin sorts by rank).
        return search.matching(queryset, value.strip(), ranked=False) if value.strip() else queryset

    def filter_chapter(self, queryset, name, chapter):
        return queryset.in_chapter(chapter.key)

    def filter_subchapter(self, queryset, name, subchapter):
        return queryset.in_subchapter(subchapter.chapter.key, subchapter.key)

    def filter_judge_score(self, queryset, name, value):
        lookup = "gte" if name.endswith("_min") else "lte"
        return queryset.filter(**{f"{judge_score_path()}__{lookup}": float(value)})

    def filter_flag(self, queryset, name, codes):
        for code in codes:
            queryset = queryset.filter(has_flag(code))
        return queryset

    def filter_has_near_duplicate(self, queryset, name, value):
        condition = has_flag(NEAR_DUPLICATE)
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)

    def filter_flagged(self, queryset, name, value):
        unflagged = {"flags": []}
        return queryset.exclude(**unflagged) if value == "true" else queryset.filter(**unflagged)
