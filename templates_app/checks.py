"""Checks a version's content must pass: structure when saved, rendering when published."""

import re

from synthgov.json_schema import schema_problems

from .models import CONTENT_FIELDS
from .rendering import TEMPLATE_FIELDS, CompiledVersion, TemplateRenderError, compile_field, compose, make_environment
from .sampling import SamplingContext, SamplingError, SpecError, VariableSampler, variables_spec_errors

PUBLISH_SAMPLE_RECORDS = 3


def structure_problems(version) -> list[str]:
    """What is wrong with the variables spec, output schema and exemplars."""
    exemplars_valid = isinstance(version.exemplars, list) and all(
        isinstance(exemplar, dict) for exemplar in version.exemplars
    )
    problems = [
        f"variables: {message}"
        for message in variables_spec_errors(
            version.variables, exemplars=version.exemplars if exemplars_valid else None
        )
    ]
    problems += schema_problems(version.output_schema, field="output_schema")
    if not exemplars_valid:
        problems.append("exemplars must be a list of objects (variable name -> value)")
    return problems


def compile_errors(version, *, references: bool = True) -> list[TemplateRenderError]:
    """Syntax errors and secure-profile refusals, one per template field that fails to compile; then,
    if every field compiles, the first problem with what the fields include or extend (unknown or
    unapproved keys, cycles, computed names, the referenced templates' own errors)."""
    environment = make_environment()
    errors = []
    for attribute in TEMPLATE_FIELDS.values():
        try:
            compile_field(environment, attribute, getattr(version, attribute))
        except TemplateRenderError as exc:
            errors.append(exc)
    if not errors and references:
        try:
            compose(version, environment)
        except TemplateRenderError as exc:
            errors.append(exc)
    return errors


def compile_problems(version, *, references: bool = True) -> list[str]:
    return [str(error) for error in compile_errors(version, references=references)]


def problem_field(problem: str) -> str | None:
    """The content field a check's message is about: messages start with it ("answer_template, line 2: ...")."""
    named = re.match(r"\w+", problem)
    return named.group() if named and named.group() in CONTENT_FIELDS else None


def draft_problems(version, *, references: bool = True) -> dict[str, list[str]]:
    """What keeps a draft from being saved, by the field each problem is about: structure, then compilation."""
    problems: dict[str, list[str]] = {}
    for problem in structure_problems(version):
        problems.setdefault(problem_field(problem) or "content", []).append(problem)
    for error in compile_errors(version, references=references):
        problems.setdefault(error.field, []).append(str(error))
    return problems


def rendering_problems(version, compiled: CompiledVersion | None = None) -> list[str]:
    """Compile every field (unless given compiled), then render with sampled variables and with every
    exemplar; report what fails."""
    if compiled is None:
        problems = compile_problems(version)
        if problems:
            return problems
        compiled = CompiledVersion.compile(version)
    try:
        sampler = VariableSampler(version.variables, SamplingContext.for_version(version))
    except SpecError as exc:
        return [f"variables: {problem}" for problem in exc.problems]
    try:
        sampled = [sampler.sample(0, record_index) for record_index in range(_records_to_sample(sampler))]
    except SamplingError as exc:
        return [f"variables: {exc}"]
    problems = []
    for variables in sampled:
        try:
            compiled.render(variables)
        except TemplateRenderError as exc:
            problems.append(f"with sampled variables {variables}: {exc}")
            break
    for number, exemplar in enumerate(version.exemplars, start=1):
        variables = {**sampled[0], **exemplar}
        try:
            compiled.render(variables)
        except TemplateRenderError as exc:
            problems.append(f"with exemplar {number}: {exc}")
    return problems


def _records_to_sample(sampler: VariableSampler) -> int:
    # A short in-order list is valid for a job no longer than it: sample only the records it serves.
    limit = sampler.record_limit
    return PUBLISH_SAMPLE_RECORDS if limit is None else min(PUBLISH_SAMPLE_RECORDS, limit)
