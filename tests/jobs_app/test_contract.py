"""The job request contract: each bad field is refused naming it; good values are stored in canonical form."""

import hashlib
import json
from dataclasses import replace

import pytest

from jobs_app.models import GenerationJob
from jobs_app.services import job_trigger
from synthgov.errors import InvalidInput
from tests.factories import SubchapterFactory


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("record_count", 0),
        ("record_count", "20"),
        ("record_count", True),
        ("target_surface", "production_db"),
        ("generator", "gpt-9000"),
        ("generator_config", ["not", "an", "object"]),
        ("tenant_id", " "),
        ("tenant_id", "t" * 101),
        ("idempotency_key", "k" * 201),
        ("seed", 2**63),
        ("seed", 1.5),
        ("locale", "english"),
        ("locale", "xx"),
        ("locale", ""),
        ("chapter_key", "another-chapter"),
        ("subchapter_key", "not-a-subchapter"),
    ],
)
def test_trigger_refuses_a_bad_field_naming_it(job_request, operator, field, value):
    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(**{field: value}), acting_user=operator)

    assert refused.value.field == field
    assert field in refused.value.message
    assert not GenerationJob.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"), [("en", "en"), ("de-ch", "de-CH"), ("pt_BR", "pt-BR"), ("EN-us", "en-US")]
)
def test_trigger_stores_the_locale_as_a_canonical_bcp47_tag(job_request, operator, given, stored):
    job, _ = job_trigger(request=job_request(locale=given), acting_user=operator)

    assert job.locale == stored


def test_the_same_key_with_the_locale_spelled_differently_is_the_same_request(job_request, operator):
    first, _ = job_trigger(request=job_request(locale="de-ch", idempotency_key="k1"), acting_user=operator)

    again, created = job_trigger(request=job_request(locale="de-CH", idempotency_key="k1"), acting_user=operator)

    assert (again, created) == (first, False)


def test_trigger_takes_the_taxonomy_keys_from_the_template_when_none_are_given(job_request, operator, approved_version):
    job, _ = job_trigger(request=job_request(), acting_user=operator)

    template = approved_version.template
    assert (job.chapter_key, job.subchapter_key) == (template.chapter.key, template.subchapter.key)
    assert (job.lineage["chapter"], job.lineage["subchapter"]) == (template.chapter.key, template.subchapter.key)


def test_trigger_accepts_the_templates_own_taxonomy_keys(job_request, operator, approved_version):
    template = approved_version.template

    job, _ = job_trigger(
        request=job_request(chapter_key=template.chapter.key, subchapter_key=template.subchapter.key),
        acting_user=operator,
    )

    assert job.subchapter_key == template.subchapter.key


def test_trigger_refuses_a_sibling_subchapter_when_the_template_has_its_own(job_request, operator, approved_version):
    sibling = SubchapterFactory(chapter=approved_version.template.chapter, key="sibling")

    with pytest.raises(InvalidInput) as refused:
        job_trigger(request=job_request(subchapter_key=sibling.key), acting_user=operator)

    assert refused.value.field == "subchapter_key"
    assert approved_version.template.subchapter.key in refused.value.message


def test_the_fingerprint_of_a_request_without_taxonomy_keys_is_the_one_it_had_before_they_existed(job_request):
    request = job_request(tenant_id="acme", record_count=20, target_surface="training", seed=1)
    # Computed as the service did before chapter_key and subchapter_key joined the contract.
    canonical = {
        "template_version": request.template_version.pk,
        "tenant_id": "acme",
        "record_count": 20,
        "target_surface": "training",
        "seed": 1,
        "locale": "en",
        "production": True,
        "generator": "template",
        "generator_config": {},
    }
    before = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()

    template = request.template_version.template
    assert request.fingerprint() == before
    assert (
        replace(request, chapter_key=template.chapter.key, subchapter_key=template.subchapter.key).fingerprint()
        == before
    )


def test_a_subchapter_that_narrows_a_chapter_level_template_changes_the_fingerprint(job_request):
    request = job_request()
    template = request.template_version.template
    template.subchapter = None

    assert replace(request, subchapter_key="addition").fingerprint() != request.fingerprint()
