import django_filters

from .. import selectors
from ..models import QAPair


class QAPairFilter(django_filters.FilterSet):
    quality_score_min = django_filters.NumberFilter(field_name="quality_score", lookup_expr="gte")
    quality_score_max = django_filters.NumberFilter(field_name="quality_score", lookup_expr="lte")
    flagged = django_filters.BooleanFilter(method="filter_flagged", label="Has PII or quality flags")
    search = django_filters.CharFilter(method="filter_search", label="Full-text search")

    class Meta:
        model = QAPair
        fields = ["review_status", "source", "tenant_id", "locale", "job", "template_version", "is_preview"]

    def filter_flagged(self, queryset, name, value):
        unflagged = {"flags": []}
        return queryset.exclude(**unflagged) if value else queryset.filter(**unflagged)

    def filter_search(self, queryset, name, value):
        return selectors.qa_pairs_matching(queryset, value, ranked=False)
