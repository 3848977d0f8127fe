"""A generated record with a field over SYNTHGOV_MAX_TEXT_CHARS is a rejected artifact, not an error."""


def test_a_generated_record_over_the_cap_becomes_a_rejected_artifact(publish, run_job, settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = 30
    version = publish(question_template="{{ 'Why? ' * (1 + a % 10) }}", output_schema={"type": "object"})

    job = run_job(version, record_count=10)

    assert job.status == "succeeded"
    reasons = [artifact.reasons for artifact in job.rejected_artifacts.order_by("record_index")]
    assert reasons
    assert all(codes == [{"code": "too_long", "message": codes[0]["message"]}] for codes in reasons)
    assert reasons[0][0]["message"].startswith("question has ")
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 10


def test_a_generated_record_with_a_nul_character_becomes_a_rejected_artifact(publish, run_job):
    version = publish(answer_template="{{ a }}{{ '\\x00' if a % 2 else '' }}", output_schema={"type": "object"})

    job = run_job(version, record_count=10)

    assert job.status == "succeeded"
    reasons = [artifact.reasons for artifact in job.rejected_artifacts.order_by("record_index")]
    assert reasons
    assert all([reason["code"] for reason in codes] == ["nul_character"] for codes in reasons)
    assert reasons[0][0]["message"].startswith("answer contains a NUL character")
    kept = job.rejected_artifacts.order_by("record_index").first().payload["answer"]
    assert kept.endswith("\ufffd")  # the evidence is kept, the NUL that jsonb refuses replaced
    assert job.accepted_records + job.rejected_records + job.duplicate_records == 10
    assert job.accepted_records > 0
