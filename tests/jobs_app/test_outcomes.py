"""Nothing is dropped silently: every record index ends as exactly one pair, rejected artifact or duplicate."""

import pytest

from jobs_app.generators import GENERATORS
from jobs_app.models import DuplicateRecord, RejectedArtifact
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import job_trigger
from qa_app.models import QAPair
from templates_app.sampling import sample_variables

from .conftest import FOUR_COMBINATIONS

# Sums of 4..6 and 4..6: three single-digit sums are accepted, the rest break the schema, and
# with 30 records most combinations repeat.
THREE_OUTCOMES_VARIABLES = {
    "a": {"sampler": "int_range", "min": 4, "max": 6},
    "b": {"sampler": "int_range", "min": 4, "max": 6},
}
SINGLE_DIGIT_SCHEMA = {
    "type": "object",
    "required": ["question", "answer"],
    "properties": {"answer": {"type": "string", "maxLength": 1}},
}


def outcome_indexes(job) -> dict[str, list[int]]:
    return {
        "pair": list(QAPair.objects.filter(job=job).values_list("record_index", flat=True)),
        "rejected": list(RejectedArtifact.objects.filter(job=job).values_list("record_index", flat=True)),
        "duplicate": list(DuplicateRecord.objects.filter(job=job).values_list("record_index", flat=True)),
    }


def processor(job) -> BatchProcessor:
    return BatchProcessor(job, GENERATORS[job.generator](job.template_version, job.generator_config))


@pytest.fixture
def three_outcome_version(publish):
    return publish(variables=THREE_OUTCOMES_VARIABLES, output_schema=SINGLE_DIGIT_SCHEMA)


def test_every_record_index_ends_as_exactly_one_outcome(three_outcome_version, run_job, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 7

    job = run_job(three_outcome_version, record_count=30)

    indexes = outcome_indexes(job)
    assert all(indexes.values()), f"the job must have all three outcomes: {indexes}"
    every = indexes["pair"] + indexes["rejected"] + indexes["duplicate"]
    assert sorted(every) == list(range(30))
    assert (job.accepted_records, job.rejected_records, job.duplicate_records) == (
        len(indexes["pair"]),
        len(indexes["rejected"]),
        len(indexes["duplicate"]),
    )


def test_duplicate_records_name_the_pair_holding_their_content(three_outcome_version, run_job, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 7

    job = run_job(three_outcome_version, record_count=30)

    duplicates = DuplicateRecord.objects.filter(job=job).select_related("duplicate_of")
    assert duplicates
    for duplicate in duplicates:
        assert duplicate.duplicate_of.content_hash == duplicate.content_hash
        assert duplicate.duplicate_of.job == job
        assert duplicate.duplicate_of.record_index < duplicate.record_index


def test_a_duplicate_of_another_jobs_pair_names_that_pair(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)
    first = run_job(version, record_count=20)

    second = run_job(version, record_count=20)

    holders = dict(QAPair.objects.filter(job=first).values_list("content_hash", "id"))
    duplicates = DuplicateRecord.objects.filter(job=second)
    assert duplicates.count() == 20
    assert {(d.content_hash, d.duplicate_of_id) for d in duplicates} <= set(holders.items())


def test_a_duplicate_of_a_pair_a_person_wrote_names_it(approved_version, run_job):
    expected = sample_variables(approved_version.variables, seed=1, record_index=0)
    typed = QAPair.objects.create(
        question=f"What is {expected['a']} plus {expected['b']}?",
        answer=str(expected["a"] + expected["b"]),
        tenant_id="acme",
    )

    job = run_job(approved_version, seed=1)

    assert DuplicateRecord.objects.get(job=job, record_index=0).duplicate_of == typed


def test_a_pair_another_job_inserted_meanwhile_becomes_a_duplicate_naming_it(
    job_request, operator, monkeypatch, approved_version
):
    job, _ = job_trigger(request=job_request(record_count=1), acting_user=operator)
    expected = sample_variables(approved_version.variables, seed=1, record_index=0)
    concurrent = QAPair.objects.create(
        question=f"What is {expected['a']} plus {expected['b']}?",
        answer=str(expected["a"] + expected["b"]),
        tenant_id="acme",
    )
    # The race: the pair is not there when the batch looks, and is there when it inserts.
    looked = []
    original = BatchProcessor._pairs_holding

    def not_yet_there(self, hashes):
        looked.append(hashes)
        return {} if len(looked) == 1 else original(self, hashes)

    monkeypatch.setattr(BatchProcessor, "_pairs_holding", not_yet_there)

    outcome = processor(job).process(0, 1)

    assert (outcome.accepted, outcome.duplicates) == (0, 1)
    assert DuplicateRecord.objects.get(job=job, record_index=0).duplicate_of == concurrent


def test_processing_a_batch_again_adds_no_outcome(three_outcome_version, job_request, operator):
    job, _ = job_trigger(
        request=job_request(template_version=three_outcome_version, record_count=30), acting_user=operator
    )
    first = processor(job).process(0, 30)
    before = outcome_indexes(job)

    again = processor(job).process(0, 30)

    assert outcome_indexes(job) == before
    assert again == first
    assert first.accepted + first.rejected + first.duplicates == 30


def test_processing_a_batch_again_keeps_the_outcomes_of_its_first_run(three_outcome_version, job_request, operator):
    job, _ = job_trigger(
        request=job_request(template_version=three_outcome_version, record_count=30), acting_user=operator
    )
    processor(job).process(0, 30)
    pairs = set(QAPair.objects.filter(job=job).values_list("id", "record_index", "content_hash"))
    duplicates = set(DuplicateRecord.objects.filter(job=job).values_list("id", "record_index", "duplicate_of"))

    processor(job).process(0, 30)

    assert set(QAPair.objects.filter(job=job).values_list("id", "record_index", "content_hash")) == pairs
    assert set(DuplicateRecord.objects.filter(job=job).values_list("id", "record_index", "duplicate_of")) == duplicates
