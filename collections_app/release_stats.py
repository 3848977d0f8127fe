"""What a release holds, counted in the database with one grouped query each (for its manifest
and dataset card): per split, chapter, source, template version, and quality-score band."""

from django.db.models import Count, F, FloatField, IntegerField
from django.db.models.functions import Cast, Floor

from .models import ReleaseItem, Split

UNSCORED = "unscored"
NO_CHAPTER = "(no template)"
QUALITY_BANDS = 10


def _items(release):
    return ReleaseItem.objects.filter(release=release).order_by()


def _counted(queryset, field: str) -> dict:
    return {
        (key if key is not None else ""): count
        for key, count in queryset.values_list(field).annotate(count=Count("pk")).order_by(field)
    }


def split_counts(release) -> dict:
    counts = _counted(_items(release), "split")
    return {split: counts[split] for split in Split.values if split in counts}


def chapter_counts(release) -> dict:
    counts = _counted(_items(release), "qa_pair__chapter_key")
    if "" in counts:
        counts[NO_CHAPTER] = counts.pop("")
    return dict(sorted(counts.items()))


def source_counts(release) -> dict:
    return dict(sorted(_counted(_items(release), "qa_pair__source").items()))


def template_versions(release) -> list[dict]:
    rows = (
        _items(release)
        .exclude(qa_pair__template_version=None)
        .values_list(
            "qa_pair__template_version__template__key",
            "qa_pair__template_version__version",
            "qa_pair__template_version__content_sha256",
        )
        .annotate(count=Count("pk"))
        .order_by("qa_pair__template_version__template__key", "qa_pair__template_version__version")
    )
    return [
        {"template": key, "version": version, "content_sha256": content_hash, "pairs": count}
        for key, version, content_hash, count in rows
    ]


def quality_distribution(release) -> dict:
    """Pairs per quality-score band of 0.1 ("0.8-0.9"; a score of 1 falls in "1.0"), and unscored."""
    bands = (
        _items(release)
        .annotate(band=Cast(Floor(Cast(F("qa_pair__quality_score"), FloatField()) * QUALITY_BANDS), IntegerField()))
        .values_list("band")
        .annotate(count=Count("pk"))
        .order_by("band")
    )
    distribution = {}
    for band, count in bands:
        if band is None:
            label = UNSCORED
        elif band >= QUALITY_BANDS:
            label = "1.0"
        else:
            label = f"{band / QUALITY_BANDS:.1f}-{(band + 1) / QUALITY_BANDS:.1f}"
        distribution[label] = distribution.get(label, 0) + count
    return distribution
