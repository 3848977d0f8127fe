from django.db.models import Count, Q, QuerySet

from qa_app.models import QAPair

from .models import TemplateVersion


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


def qa_pair_count(*, chapter=None, subchapter=None) -> int:
    """Pairs generated from the taxonomy node's templates: one aggregate, for a detail page."""
    pairs = QAPair.objects.all()
    if chapter is not None:
        pairs = pairs.filter(template_version__template__chapter=chapter)
    if subchapter is not None:
        pairs = pairs.filter(template_version__template__subchapter=subchapter)
    return pairs.count()
