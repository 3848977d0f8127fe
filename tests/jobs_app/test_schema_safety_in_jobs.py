"""What a job does with its version's output_schema: no reference is ever retrieved, patterns run on RE2.

The save check refuses such schemas; these tests force them into the database past it, as an import
or a hand-made fix could, and show that the worker still neither fetches nor backtracks.
"""

import urllib.request

import pytest
from referencing.exceptions import Unresolvable

from synthgov.json_schema import NO_RETRIEVAL, LinearValidator, user_schema_validator
from templates_app.models import TemplateVersion
from tests.factories import SUM_SCHEMA
from tests.schema_server import SchemaServer

NESTED_QUANTIFIER = "^(a+)+$"


@pytest.fixture
def schema_server():
    server = SchemaServer()
    yield server
    server.close()


@pytest.fixture
def opened_urls(monkeypatch):
    """Every URL that jsonschema's default retrieval (urllib) would open, and none opened."""
    opened = []

    def refuse(request, *args, **kwargs):
        opened.append(getattr(request, "full_url", request))
        raise OSError("the test refuses to open URLs")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return opened


def force_output_schema(version: TemplateVersion, schema: dict) -> TemplateVersion:
    TemplateVersion.objects.filter(pk=version.pk).update(output_schema=schema)
    version.refresh_from_db()
    return version


def with_answer(answer_schema: dict) -> dict:
    return {**SUM_SCHEMA, "properties": {"answer": answer_schema}}


def test_a_job_never_requests_a_remote_ref_forced_into_the_database(approved_version, run_job, schema_server):
    version = force_output_schema(approved_version, with_answer({"$ref": schema_server.url}))

    job = run_job(version)

    assert schema_server.requests == []
    assert job.status == "failed"
    assert f"output_schema: $ref '{schema_server.url}'" in job.error


def test_a_job_never_opens_a_file_ref_forced_into_the_database(approved_version, run_job, opened_urls):
    version = force_output_schema(approved_version, with_answer({"$ref": "file:///etc/passwd"}))

    job = run_job(version)

    assert opened_urls == []
    assert job.status == "failed"
    assert "output_schema: $ref 'file:///etc/passwd'" in job.error


@pytest.mark.parametrize("reference", ["remote", "file:///etc/passwd"])
def test_the_validators_registry_retrieves_no_reference_even_unchecked(schema_server, opened_urls, reference):
    url = schema_server.url if reference == "remote" else reference
    validator = LinearValidator({"$ref": url}, registry=NO_RETRIEVAL)

    with pytest.raises(Unresolvable):
        list(validator.iter_errors({}))

    assert (schema_server.requests, opened_urls) == ([], [])


def test_schema_patterns_run_on_re2():
    # `\pL` (any letter) is RE2 syntax that Python's `re` cannot compile.
    validator = user_schema_validator({"pattern": "^\\pL+$"}, field="output_schema")

    assert (validator.is_valid("Zürich"), validator.is_valid("Zürich 8001")) == (True, False)


def test_pattern_properties_run_on_re2():
    validator = user_schema_validator({"patternProperties": {"^\\pL+$": {"maxLength": 1}}}, field="output_schema")

    assert (validator.is_valid({"ä": "x"}), validator.is_valid({"ä": "xy"}), validator.is_valid({"1": "xy"})) == (
        True,
        False,
        True,
    )


def test_additional_properties_match_pattern_properties_on_re2():
    schema = {"patternProperties": {"^\\pL+$": {}}, "additionalProperties": False}
    validator = user_schema_validator(schema, field="output_schema")

    assert (validator.is_valid({"ä": 1}), validator.is_valid({"1": 1})) == (True, False)


def test_a_nested_quantifier_pattern_checks_a_long_answer_that_does_not_match():
    # Python's `re` took 14 s for 27 `a`s and a `!`, doubling with every further `a`.
    validator = user_schema_validator(with_answer({"type": "string", "pattern": NESTED_QUANTIFIER}), field="s")

    errors = list(validator.iter_errors({"question": "q", "answer": "a" * 100_000 + "!"}))

    assert [error.validator for error in errors] == ["pattern"]


def test_a_job_rejects_the_records_a_nested_quantifier_pattern_refuses(publish, run_job):
    version = publish(
        answer_template="{{ 'a' * (30 + a % 10) }}!",
        output_schema=with_answer({"type": "string", "pattern": NESTED_QUANTIFIER}),
    )

    job = run_job(version, record_count=3)

    assert (job.status, job.accepted_records, job.rejected_records) == ("succeeded", 0, 3)
    assert {reason["code"] for artifact in job.rejected_artifacts.all() for reason in artifact.reasons} == {"schema"}
