"""The JSON a job's page polls to move its progress bar, counts and shard rows in place."""

from django.urls import reverse

from jobs_app.models import GenerationJob, JobShard


def progress_url(job_id):
    return reverse("admin:jobs_app_generationjob_progress", args=[job_id])


def change_url(job):
    return reverse("admin:jobs_app_generationjob_change", args=[job.pk])


def pending_job(version, record_count=10) -> GenerationJob:
    job = GenerationJob.objects.create(
        template_version=version, chapter_key="arithmetic", tenant_id="acme", record_count=record_count
    )
    JobShard.objects.create(job=job, index=0, start=0, stop=record_count)
    return job


def test_the_progress_json_of_a_finished_job_has_its_counts_and_says_it_is_finished(
    client, operator, approved_version, run_job
):
    job = run_job(approved_version, record_count=10)
    client.force_login(operator)

    data = client.get(progress_url(job.pk)).json()

    assert data["finished"] is True
    assert (data["processed"], data["total"], data["percent"]) == (10, 10, 100)
    assert data["text"] == "100% · 10/10"
    assert data["counts"] == {
        "accepted_records": job.accepted_records,
        "rejected_records": job.rejected_records,
        "duplicate_records": job.duplicate_records,
    }
    assert data["fields"]["status"] == "Succeeded"
    assert data["fields"]["accepted_records"] == str(job.accepted_records)


def test_the_progress_json_has_one_row_per_shard_as_the_inline_shows_it(client, operator, approved_version):
    job = pending_job(approved_version)
    JobShard.objects.filter(job=job).update(status=JobShard.Status.RUNNING, processed_records=4, attempts=1)
    client.force_login(operator)

    data = client.get(progress_url(job.pk)).json()

    assert data["finished"] is False
    assert data["shards"] == [
        {
            "index": "0",
            "fields": {
                "status": "Running",
                "processed_records": "4",
                "attempts": "1",
                "heartbeat_at": "-",
                "finished_at": "-",
            },
        }
    ]


def test_the_progress_json_needs_the_permission_to_view_jobs(client, nobody, approved_version):
    job = pending_job(approved_version)
    client.force_login(nobody)

    response = client.get(progress_url(job.pk))

    assert response.status_code == 403


def test_the_progress_json_of_an_unknown_job_is_not_found(client, operator):
    client.force_login(operator)

    assert client.get(progress_url(999_999)).status_code == 404


def test_the_bar_of_an_unfinished_job_names_the_url_its_page_polls(client, operator, approved_version):
    job = pending_job(approved_version)
    client.force_login(operator)

    page = client.get(change_url(job)).content.decode()

    assert f'data-progress-url="{progress_url(job.pk)}"' in page
    assert "job_progress.js" in page


def test_the_bar_of_a_finished_job_polls_nothing(client, operator, approved_version, run_job):
    job = run_job(approved_version, record_count=5)
    client.force_login(operator)

    page = client.get(change_url(job)).content.decode()

    assert "data-progress-url" not in page
