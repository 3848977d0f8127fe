import django_filters

from ..models import PromptTemplate, Subchapter, TemplateVersion


class SubchapterFilter(django_filters.FilterSet):
    chapter_key = django_filters.CharFilter(field_name="chapter__key")

    class Meta:
        model = Subchapter
        fields = ["chapter", "chapter_key", "key"]


class PromptTemplateFilter(django_filters.FilterSet):
    chapter_key = django_filters.CharFilter(field_name="chapter__key")
    subchapter_key = django_filters.CharFilter(field_name="subchapter__key")

    class Meta:
        model = PromptTemplate
        fields = ["key", "chapter", "chapter_key", "subchapter", "subchapter_key"]


class TemplateVersionFilter(django_filters.FilterSet):
    template_key = django_filters.CharFilter(field_name="template__key")

    class Meta:
        model = TemplateVersion
        fields = ["template", "template_key", "status", "is_current", "version"]
