"""Generator backends, chosen per job by name."""

from .base import BackendUnavailable, Generated, Generator
from .config_schema import backend_description, generator_config_schema
from .openai_chat import OpenAIChatGenerator
from .template import TemplateGenerator
from .usage import usage_totals

__all__ = [
    "GENERATORS",
    "BackendUnavailable",
    "Generated",
    "Generator",
    "backend_description",
    "generator_config_schema",
    "generator_usage",
]

GENERATORS: dict[str, type[Generator]] = {backend.name: backend for backend in (TemplateGenerator, OpenAIChatGenerator)}


def generator_usage(job) -> dict | None:
    """Token usage totals for the job's manifest; None for backends that call no model."""
    backend = GENERATORS.get(job.generator)
    return usage_totals(job) if backend and backend.reports_usage else None
