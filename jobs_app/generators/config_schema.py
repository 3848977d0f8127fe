"""The JSON Schema of each backend's per-job `generator_config`, for GET /api/v1/generators/.

Built from what the backends' `config_problems` accept (the openai backend's CONFIG_OVERRIDES),
so the published schema and the trigger-time checks cannot drift apart; tests/jobs_app/
test_generator_registry_api.py checks both ways.
"""

from .base import JUDGE_PROFILE_KEY, Generator

JUDGE_PROFILE = {
    "type": "string",
    "minLength": 1,
    "description": "Name of a generator profile whose model scores each accepted pair against the "
    "version's judge_rubric (GET /api/v1/generator-profiles/).",
}


def generator_config_schema(backend: type[Generator]) -> dict:
    """A JSON Schema (draft 2020-12) object describing the generator_config the backend accepts."""
    properties = {}
    required = []
    if backend.name == "openai":
        from .openai_chat import CONFIG_OVERRIDES

        properties["profile"] = {
            "type": "string",
            "minLength": 1,
            "description": "Name of the generator profile (server, model, key variable) the job calls.",
        }
        required.append("profile")
        for key, (types, low, high) in CONFIG_OVERRIDES.items():
            properties[key] = {
                "type": "integer" if types is int else "number",
                "minimum": low,
                "maximum": high,
                "description": f"Overrides the profile's {key} for this job.",
            }
    properties[JUDGE_PROFILE_KEY] = JUDGE_PROFILE
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def backend_description(backend: type[Generator]) -> str:
    """The first paragraph of the backend's docstring, on one line."""
    doc = (backend.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(doc.split())
