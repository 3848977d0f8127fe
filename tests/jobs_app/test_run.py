"""job_run: a job expands its version into pairs, rejected artifacts and duplicates, batch by batch."""

import hashlib
from datetime import timedelta

import pytest

from jobs_app.generators import GENERATORS
from jobs_app.manifest import job_output_manifest
from jobs_app.models import GenerationJob, JobShard, RejectedArtifact
from jobs_app.pipeline import BatchProcessor
from jobs_app.services import job_run, job_trigger
from qa_app.models import QAPair
from synthgov.errors import InvalidInput
from templates_app.sampling import sample_variables
from templates_app.services import template_version_publish
from tests.factories import TemplateVersionFactory

from .conftest import FOUR_COMBINATIONS

# Single-digit answers only: every sum of 10 or more breaks the output schema.
SINGLE_DIGIT_SCHEMA = {
    "type": "object",
    "required": ["question", "answer"],
    "properties": {"answer": {"type": "string", "maxLength": 1}},
}
ONE_TO_NINE = {
    "a": {"sampler": "int_range", "min": 1, "max": 9},
    "b": {"sampler": "int_range", "min": 1, "max": 9},
}


def records_by_index(job: GenerationJob) -> dict[int, tuple[str, str]]:
    return {
        pair.record_index: (pair.question, pair.answer)
        for pair in QAPair.objects.filter(job=job).order_by("record_index")
    }


def test_run_ends_succeeded_with_every_record_accounted_for(approved_version, run_job):
    job = run_job(approved_version, record_count=20)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.processed_records == 20
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 20
    assert QAPair.objects.filter(job=job).count() == job.accepted_records
    assert RejectedArtifact.objects.filter(job=job).count() == job.rejected_records
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.error == ""


def test_run_writes_the_counts_into_the_output_manifest(approved_version, run_job):
    job = run_job(approved_version, record_count=20)

    manifest = job.output_manifest
    assert (manifest["record_count"], manifest["accepted"], manifest["rejected"], manifest["duplicates"]) == (
        20,
        job.accepted_records,
        job.rejected_records,
        job.duplicate_records,
    )
    assert manifest["template_content_sha256"] == approved_version.content_sha256
    assert manifest["generator"] == "template"


def test_run_gives_the_same_records_for_the_same_seed_in_different_tenants(approved_version, run_job):
    acme = run_job(approved_version, tenant_id="acme", seed=3)
    globex = run_job(approved_version, tenant_id="globex", seed=3)

    assert records_by_index(acme) == records_by_index(globex)
    assert len(records_by_index(acme)) == 20


def test_run_gives_different_records_for_a_different_seed(approved_version, run_job):
    first = run_job(approved_version, tenant_id="acme", seed=3)
    second = run_job(approved_version, tenant_id="globex", seed=4)

    assert records_by_index(first) != records_by_index(second)


def test_run_answers_are_the_planted_ground_truth(approved_version, run_job):
    job = run_job(approved_version)

    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == job.record_count
    for pair in pairs:
        variables = pair.lineage["variables"]
        assert pair.question == f"What is {variables['a']} plus {variables['b']}?"
        assert pair.answer == str(variables["a"] + variables["b"])


def test_run_does_not_insert_exact_duplicates_within_a_job(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)

    job = run_job(version, record_count=20)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert (job.accepted_records, job.duplicate_records, job.rejected_records) == (4, 16, 0)
    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 4
    assert len(set(pairs.values_list("content_hash", flat=True))) == 4


def test_run_keeps_the_first_record_of_each_duplicate_content(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)

    job = run_job(version, record_count=20)

    first_index_of = {}
    for index in range(20):
        variables = sample_variables(FOUR_COMBINATIONS, seed=1, record_index=index)
        first_index_of.setdefault((variables["a"], variables["b"]), index)
    assert set(QAPair.objects.filter(job=job).values_list("record_index", flat=True)) == set(first_index_of.values())


def test_run_does_not_insert_content_the_tenant_already_has_from_another_job(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)
    run_job(version, record_count=20)

    second = run_job(version, record_count=20)

    assert second.status == GenerationJob.Status.SUCCEEDED
    assert (second.accepted_records, second.duplicate_records) == (0, 20)
    assert not QAPair.objects.filter(job=second).exists()
    assert QAPair.objects.filter(tenant_id="acme").count() == 4


def test_run_marks_the_pairs_of_a_preview_job_as_preview(unpublished_draft, run_job):
    job = run_job(unpublished_draft, production=False, record_count=5)

    assert set(QAPair.objects.filter(job=job).values_list("is_preview", flat=True)) == {True}


def test_run_of_a_preview_does_not_make_the_production_run_a_duplicate(author, approver, run_job):
    version = TemplateVersionFactory(author=author, variables=FOUR_COMBINATIONS)
    preview = run_job(version, production=False, record_count=20)
    template_version_publish(version=version, acting_user=approver)

    production = run_job(version, production=True, record_count=20)

    assert preview.accepted_records == 4
    assert (production.accepted_records, production.duplicate_records) == (4, 16)
    assert set(QAPair.objects.filter(job=production).values_list("is_preview", flat=True)) == {False}


def test_run_does_not_insert_exact_duplicates_within_a_preview_job(unpublished_draft, run_job, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3
    unpublished_draft.variables = FOUR_COMBINATIONS
    unpublished_draft.save()

    job = run_job(unpublished_draft, production=False, record_count=20)

    assert (job.accepted_records, job.duplicate_records) == (4, 16)
    assert QAPair.objects.filter(job=job).count() == 4


def test_run_does_not_treat_another_tenants_content_as_a_duplicate(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)
    run_job(version, tenant_id="acme")

    globex = run_job(version, tenant_id="globex")

    assert globex.accepted_records == 4


def test_run_does_not_overwrite_a_pair_a_person_wrote(approved_version, run_job):
    expected = sample_variables(approved_version.variables, seed=1, record_index=0)
    question = f"What is {expected['a']} plus {expected['b']}?"
    typed = QAPair.objects.create(
        question=question, answer=str(expected["a"] + expected["b"]), tenant_id="acme", review_status="approved"
    )

    job = run_job(approved_version, seed=1)

    typed.refresh_from_db()
    assert typed.source == QAPair.Source.OPERATOR
    assert typed.job is None
    assert typed.review_status == QAPair.ReviewStatus.APPROVED
    assert not QAPair.objects.filter(job=job, record_index=0).exists()
    assert job.duplicate_records >= 1


def test_run_keeps_records_failing_the_output_schema_as_rejected_artifacts(publish, run_job):
    version = publish(variables=ONE_TO_NINE, output_schema=SINGLE_DIGIT_SCHEMA)

    job = run_job(version, record_count=20, seed=1)

    too_long = {
        index for index in range(20) if sum(sample_variables(ONE_TO_NINE, seed=1, record_index=index).values()) >= 10
    }
    assert too_long, "the seed must produce some sums of 10 or more for this test to mean anything"
    artifacts = RejectedArtifact.objects.filter(job=job)
    assert set(artifacts.values_list("record_index", flat=True)) == too_long
    for artifact in artifacts:
        variables = artifact.payload["variables"]
        assert artifact.payload["answer"] == str(variables["a"] + variables["b"])
        assert artifact.payload["question"] == f"What is {variables['a']} plus {variables['b']}?"
        assert [reason["code"] for reason in artifact.reasons] == ["schema"]
        assert artifact.reasons[0]["message"].startswith("answer: ")


def test_run_counts_schema_rejections_in_the_job_and_its_manifest(publish, run_job):
    version = publish(variables=ONE_TO_NINE, output_schema=SINGLE_DIGIT_SCHEMA)

    job = run_job(version, record_count=20, seed=1)

    artifacts = RejectedArtifact.objects.filter(job=job)
    rejected = artifacts.count()
    assert rejected > 0
    assert job.rejected_records == rejected
    assert job.output_manifest["rejected"] == rejected
    assert job.output_manifest["rejection_reasons"] == {"schema": rejected}
    assert not QAPair.objects.filter(job=job, record_index__in=artifacts.values("record_index")).exists()


def test_run_keeps_a_render_failure_as_a_rejected_artifact(unpublished_draft, run_job):
    unpublished_draft.answer_template = "{{ a // (b - b) }}"
    unpublished_draft.save()

    job = run_job(unpublished_draft, production=False, record_count=5)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.error == ""
    assert (job.accepted_records, job.rejected_records) == (0, 5)
    assert job.output_manifest["rejection_reasons"] == {"render": 5}
    artifact = RejectedArtifact.objects.get(job=job, record_index=0)
    assert artifact.payload == {"variables": sample_variables(unpublished_draft.variables, seed=1, record_index=0)}
    assert [reason["code"] for reason in artifact.reasons] == ["render"]
    assert "answer_template" in artifact.reasons[0]["message"]
    assert "division" in artifact.reasons[0]["message"]


def test_a_preview_of_a_draft_that_does_not_compile_is_refused_when_triggered(unpublished_draft, run_job):
    unpublished_draft.question_template = "What is {{ a plus }}?"
    unpublished_draft.save()

    with pytest.raises(InvalidInput, match="cannot be previewed: question_template, line 1") as refused:
        run_job(unpublished_draft, production=False, record_count=5)

    assert refused.value.field == "template_version"
    assert not GenerationJob.objects.exists()


def test_run_records_the_lineage_of_every_pair(approved_version, run_job):
    job = run_job(approved_version, record_count=10, seed=9)

    pairs = list(QAPair.objects.filter(job=job).order_by("record_index"))
    assert len(pairs) == 10
    template = approved_version.template
    for pair in pairs:
        assert pair.source == QAPair.Source.SYNTHETIC
        assert (pair.job, pair.template_version) == (job, approved_version)
        assert pair.lineage == {
            "job": job.pk,
            "template": template.key,
            "template_version": approved_version.version,
            "template_version_id": approved_version.pk,
            "template_content_sha256": approved_version.content_sha256,
            "pinned_includes": {},
            "chapter": template.chapter.key,
            "subchapter": template.subchapter.key,
            "generator": "template",
            "seed": 9,
            "record_index": pair.record_index,
            "variables": sample_variables(approved_version.variables, seed=9, record_index=pair.record_index),
        }


def test_run_inserts_pairs_pending_review_in_the_jobs_tenant_and_locale(approved_version, run_job):
    job = run_job(approved_version, tenant_id="globex", locale="de", record_count=5)

    pairs = QAPair.objects.filter(job=job)
    assert pairs.count() == 5
    assert set(pairs.values_list("review_status", "tenant_id", "locale")) == {("pending", "globex", "de")}
    assert all(pair.metadata["system_prompt"] == approved_version.system_prompt for pair in pairs)


def test_run_results_do_not_depend_on_the_batch_size(publish, run_job, settings):
    version = publish(variables={**FOUR_COMBINATIONS, "b": {"sampler": "int_range", "min": 1, "max": 5}})

    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 3
    small_batches = run_job(version, tenant_id="acme", record_count=40)
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 500
    one_batch = run_job(version, tenant_id="globex", record_count=40)

    assert records_by_index(small_batches) == records_by_index(one_batch)
    counts = ("accepted_records", "rejected_records", "duplicate_records", "processed_records")
    assert [getattr(small_batches, name) for name in counts] == [getattr(one_batch, name) for name in counts]
    assert small_batches.duplicate_records > 0


def test_run_resumes_a_job_from_its_committed_progress(job_request, operator, run_job, approved_version, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 5
    job, _ = job_trigger(request=job_request(tenant_id="acme", record_count=20), acting_user=operator)
    # A worker started the job, committed its first batch, and died.
    job.start(at=job.created_at)
    job.save()
    outcome = BatchProcessor(job, GENERATORS[job.generator](job.template_version, {})).process(0, 5)
    GenerationJob.objects.filter(pk=job.pk).update(
        processed_records=5,
        accepted_records=outcome.accepted,
        rejected_records=outcome.rejected,
        duplicate_records=outcome.duplicates,
    )
    long_ago = job.created_at - timedelta(seconds=settings.SYNTHGOV_SHARD_STALE_SECONDS + 1)
    job.shards.update(status=JobShard.Status.RUNNING, processed_records=5, heartbeat_at=long_ago)

    resumed = job_run(job_id=job.pk)

    uninterrupted = run_job(approved_version, tenant_id="globex", record_count=20)
    assert resumed.status == GenerationJob.Status.SUCCEEDED
    assert resumed.processed_records == 20
    assert records_by_index(resumed) == records_by_index(uninterrupted)
    assert resumed.accepted_records == QAPair.objects.filter(job=resumed).count() == uninterrupted.accepted_records


def test_run_of_a_batch_whose_pairs_are_already_inserted_counts_them_once(job_request, operator, settings):
    settings.SYNTHGOV_GENERATION_BATCH_SIZE = 5
    job, _ = job_trigger(request=job_request(tenant_id="acme", record_count=10), acting_user=operator)
    # A retried task meets pairs of its first batch without the progress that goes with them.
    BatchProcessor(job, GENERATORS[job.generator](job.template_version, {})).process(0, 5)

    job = job_run(job_id=job.pk)

    assert job.status == GenerationJob.Status.SUCCEEDED
    assert job.accepted_records == QAPair.objects.filter(job=job).count() == 10
    assert job.duplicate_records == 0


def test_run_of_a_finished_job_changes_nothing(approved_version, run_job):
    job = run_job(approved_version, record_count=20)
    pair_ids = set(QAPair.objects.filter(job=job).values_list("id", flat=True))

    again = job_run(job_id=job.pk)

    assert again.status == GenerationJob.Status.SUCCEEDED
    assert (again.processed_records, again.accepted_records, again.duplicate_records) == (
        job.processed_records,
        job.accepted_records,
        job.duplicate_records,
    )
    assert again.finished_at == job.finished_at
    assert set(QAPair.objects.filter(job=job).values_list("id", flat=True)) == pair_ids
    assert QAPair.objects.count() == len(pair_ids)


def test_run_manifest_hashes_the_accepted_pair_ids_in_record_order(approved_version, run_job):
    job = run_job(approved_version, record_count=20)

    ids = QAPair.objects.filter(job=job).order_by("record_index").values_list("id", flat=True)
    expected = hashlib.sha256("".join(f"{pk}\n" for pk in ids).encode()).hexdigest()
    assert job.output_manifest["accepted_ids_sha256"] == expected


def test_run_manifest_accepted_ids_hash_is_stable_for_the_same_job(approved_version, run_job):
    job = run_job(approved_version, record_count=20)
    stored = job.output_manifest["accepted_ids_sha256"]

    job_run(job_id=job.pk)
    job.refresh_from_db()

    assert job.output_manifest["accepted_ids_sha256"] == stored
    assert job_output_manifest(job)["accepted_ids_sha256"] == stored


def test_output_manifest_shows_how_pairs_cover_each_variables_values(publish, run_job):
    version = publish(variables=FOUR_COMBINATIONS)

    job = run_job(version, record_count=40)

    coverage = job.output_manifest["coverage"]
    assert coverage["variables"]["a"]["distinct_values"] == 2
    assert set(coverage["variables"]["a"]["pairs_by_value"]) == {"1", "2"}
    assert sum(coverage["variables"]["b"]["pairs_by_value"].values()) == job.accepted_records
    assert coverage["pairs_by_subchapter"] == {job.subchapter_key: job.accepted_records}


def test_output_manifest_lists_only_how_many_values_a_wide_variable_took(publish, run_job):
    wide = {"sampler": "int_range", "min": 1, "max": 1_000_000}
    version = publish(variables={"a": wide, "b": wide}, output_schema={})

    job = run_job(version, record_count=80)

    coverage = job.output_manifest["coverage"]["variables"]["a"]
    assert coverage == {"distinct_values": job.accepted_records}
    assert job.accepted_records > 50
