"""Samplers in use: the publish checks and generation jobs give them the version's context."""

import pytest

from jobs_app.models import GenerationJob, RejectedArtifact
from qa_app.models import QAPair
from synthgov.errors import InvalidInput
from templates_app.checks import rendering_problems
from templates_app.sampling import SamplingContext, VariableSampler
from templates_app.services import template_version_publish
from tests.factories import SubchapterFactory, TemplateVersionFactory

SUM = {"a": {"sampler": "int_range", "min": 1, "max": 10_000}, "b": {"sampler": "int_range", "min": 1, "max": 10_000}}


@pytest.fixture
def version_with(author):
    """A draft of the sum template whose question also shows the extra variables given."""

    def make(question="What is {{ a }} plus {{ b }}?", **variables):
        return TemplateVersionFactory(author=author, variables={**SUM, **variables}, question_template=question)

    return make


def test_a_job_covers_every_subchapter_of_the_templates_chapter_in_key_order(version_with, run_job):
    version = version_with("{{ topic }}: what is {{ a }} plus {{ b }}?", topic={"sampler": "subchapter"})
    chapter = version.template.chapter
    SubchapterFactory(chapter=chapter, key="subtraction")
    SubchapterFactory(chapter=chapter, key="multiplication")

    job = run_job(version, production=False, record_count=6)

    topics = [pair.lineage["variables"]["topic"] for pair in QAPair.objects.filter(job=job).order_by("record_index")]
    assert topics == ["addition", "multiplication", "subtraction"] * 2


def test_a_job_naming_a_subchapter_of_a_chapter_level_template_samples_only_that_one(version_with, run_job):
    version = version_with("{{ topic }}: what is {{ a }} plus {{ b }}?", topic={"sampler": "subchapter"})
    template = version.template
    chapter = template.chapter
    SubchapterFactory(chapter=chapter, key="subtraction")
    template.subchapter = None
    template.save()

    job = run_job(version, production=False, record_count=4, subchapter_key="subtraction")

    topics = {pair.lineage["variables"]["topic"] for pair in QAPair.objects.filter(job=job)}
    assert topics == {"subtraction"}
    assert job.lineage["subchapter"] == "subtraction"


def test_a_job_samples_person_names_in_its_locale(version_with, run_job):
    version = version_with("{{ customer }} asks: what is {{ a }} plus {{ b }}?", customer={"sampler": "person"})

    german = run_job(version, production=False, locale="de", record_count=5, tenant_id="acme")
    american = run_job(version, production=False, locale="en", record_count=5, tenant_id="globex")

    german_sampler = VariableSampler(version.variables, SamplingContext(locale="de_DE"))
    german_pairs = QAPair.objects.filter(job=german)
    assert german_pairs.count() == 5
    for pair in german_pairs:
        assert pair.lineage["variables"] == german_sampler.sample(1, pair.record_index)
    names = {
        job.pk: {pair.lineage["variables"]["customer"] for pair in QAPair.objects.filter(job=job)}
        for job in (german, american)
    }
    assert names[german.pk]
    assert names[american.pk]
    assert names[german.pk].isdisjoint(names[american.pk])


def test_a_jobs_variables_do_not_depend_on_its_batch_size(version_with, run_job, settings):
    version = version_with(
        "{{ customer }} on {{ day }}: what is {{ a }} plus {{ b }}?",
        customer={"sampler": "person"},
        day={"sampler": "datetime", "start": "2024-01-01", "end": "2024-12-31"},
    )
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3
    small_batches = run_job(version, production=False, record_count=10)
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 500

    one_batch = run_job(version, production=False, record_count=10)

    def variables(job):
        return {pair.record_index: pair.lineage["variables"] for pair in QAPair.objects.filter(job=job)}

    assert variables(small_batches) == variables(one_batch)
    assert len(variables(one_batch)) == 10


def test_a_record_past_the_end_of_an_in_order_list_is_kept_as_a_rejected_artifact(version_with, run_job):
    version = version_with(
        "{{ word }}: what is {{ a }} plus {{ b }}?", word={"sampler": "list", "values": ["x", "y"], "mode": "in_order"}
    )

    job = run_job(version, production=False, record_count=4)

    assert (job.status, job.accepted_records, job.rejected_records) == (GenerationJob.Status.SUCCEEDED, 2, 2)
    artifact = RejectedArtifact.objects.get(job=job, record_index=3)
    assert artifact.reasons == [
        {
            "code": "sampling",
            "message": "word: the list has 2 values and record 3 is past its end (use mode 'cycle' to start over)",
        }
    ]
    assert set(artifact.payload["variables"]) == {"a", "b"}


def test_a_job_in_a_locale_faker_does_not_know_fails_saying_so(version_with, run_job):
    version = version_with("{{ customer }}: what is {{ a }} plus {{ b }}?", customer={"sampler": "person"})

    # A valid BCP 47 tag (Hawaiian) that Faker has no data for.
    job = run_job(version, production=False, locale="haw", record_count=2)

    assert job.status == GenerationJob.Status.FAILED
    assert "customer: Faker has no locale for 'haw'" in job.error
    assert not QAPair.objects.filter(job=job).exists()


def test_publish_accepts_a_version_using_the_templates_subchapters(version_with, approver):
    version = version_with("{{ topic }}: what is {{ a }} plus {{ b }}?", topic={"sampler": "subchapter"})

    published = template_version_publish(version=version, acting_user=approver)

    assert published.status == "approved"


def test_publish_accepts_an_in_order_list_shorter_than_the_records_it_samples(version_with, approver):
    version = version_with(
        "{{ w }}: what is {{ a }} plus {{ b }}?", w={"sampler": "list", "values": ["x"], "mode": "in_order"}
    )

    assert rendering_problems(version) == []
    assert template_version_publish(version=version, acting_user=approver).status == "approved"


def test_publish_refuses_an_exemplar_variable_whose_field_an_exemplar_lacks(author, approver):
    version = TemplateVersionFactory(
        author=author,
        variables={**SUM, "shown": {"sampler": "exemplar", "field": "a"}},
        exemplars=[{"a": 1, "b": 2}, {"b": 3}],
    )

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=version, acting_user=approver)

    assert excinfo.value.message == "Cannot publish: variables: shown: exemplar 2 lacks the field 'a'"


def test_publish_refuses_a_template_variable_whose_expression_fails(version_with, approver):
    version = version_with(ratio={"sampler": "template", "expression": "a // (b - b)"})

    with pytest.raises(InvalidInput) as excinfo:
        template_version_publish(version=version, acting_user=approver)

    assert excinfo.value.message == "Cannot publish: variables: ratio: expression: integer division or modulo by zero"
