"""Checks a version's content must pass: structure when saved, rendering when published."""

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .rendering import CompiledVersion, TemplateRenderError
from .sampling import sample_variables, variables_spec_errors

PUBLISH_SAMPLE_RECORDS = 3


def structure_problems(version) -> list[str]:
    """What is wrong with the variables spec, output schema and exemplars."""
    problems = [f"variables: {message}" for message in variables_spec_errors(version.variables)]
    try:
        Draft202012Validator.check_schema(version.output_schema)
    except SchemaError as exc:
        problems.append(f"output_schema is not valid JSON Schema: {exc.message}")
    if not isinstance(version.exemplars, list) or not all(isinstance(exemplar, dict) for exemplar in version.exemplars):
        problems.append("exemplars must be a list of objects (variable name -> value)")
    return problems


def rendering_problems(version) -> list[str]:
    """Render with sampled variables and with every exemplar; report what fails."""
    try:
        compiled = CompiledVersion.compile(version)
    except TemplateRenderError as exc:
        return [str(exc)]
    problems = []
    for record_index in range(PUBLISH_SAMPLE_RECORDS):
        variables = sample_variables(version.variables, seed=0, record_index=record_index)
        try:
            compiled.render(variables)
        except TemplateRenderError as exc:
            problems.append(f"with sampled variables {variables}: {exc}")
            break
    for number, exemplar in enumerate(version.exemplars, start=1):
        variables = {**sample_variables(version.variables, seed=0, record_index=0), **exemplar}
        try:
            compiled.render(variables)
        except TemplateRenderError as exc:
            problems.append(f"with exemplar {number}: {exc}")
    return problems
