"""What sampling needs from outside the spec: the job's locale and the version's data."""

from dataclasses import dataclass

DEFAULT_LOCALE = "en"


@dataclass(frozen=True)
class SamplingContext:
    """`exemplars` and `subchapter_keys` are None when unknown (a spec checked on its own)."""

    locale: str = DEFAULT_LOCALE
    exemplars: tuple[dict, ...] | None = None
    subchapter_keys: tuple[str, ...] | None = None

    @classmethod
    def for_version(cls, version, *, locale: str = DEFAULT_LOCALE, subchapter_key: str = "") -> "SamplingContext":
        """`subchapter_key`: a job on a chapter-level template that names one subchapter narrows the
        `subchapter` sampler to it; a template of its own subchapter cycles through its whole chapter."""
        exemplars = version.exemplars
        if not isinstance(exemplars, list) or not all(isinstance(exemplar, dict) for exemplar in exemplars):
            exemplars = None
        subchapter_keys = None
        # Only specs that use the taxonomy pay for the query.
        if _uses_sampler(version.variables, "subchapter") and subchapter_key and not version.template.subchapter_id:
            subchapter_keys = (subchapter_key,)
        elif _uses_sampler(version.variables, "subchapter"):
            subchapters = version.template.chapter.subchapters.order_by("key")
            subchapter_keys = tuple(subchapters.values_list("key", flat=True))
        return cls(
            locale=locale or DEFAULT_LOCALE,
            exemplars=None if exemplars is None else tuple(exemplars),
            subchapter_keys=subchapter_keys,
        )


def _uses_sampler(spec, sampler: str) -> bool:
    return isinstance(spec, dict) and any(
        isinstance(variable, dict) and variable.get("sampler") == sampler for variable in spec.values()
    )
