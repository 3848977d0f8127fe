import pytest
from drf_spectacular.validation import validate_schema


def test_the_schema_endpoint_serves_valid_openapi_3(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert "/api/v1/jobs/" in schema["paths"]


def test_the_docs_page_is_served_with_local_assets(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content


@pytest.mark.parametrize(
    "path",
    [
        "",
        "chapters/",
        "subchapters/",
        "templates/",
        "template-versions/",
        "jobs/",
        "qa-pairs/",
        "collections/",
        "releases/",
    ],
)
def test_the_browsable_api_renders_every_list(client, superuser_factory, path):
    client.force_login(superuser_factory())

    response = client.get(f"/api/v1/{path}", HTTP_ACCEPT="text/html")

    assert response.status_code == 200


def test_the_browsable_api_renders_detail_pages_with_their_forms(client, superuser_factory, approved_version, run_job):
    job = run_job(approved_version, record_count=3)
    pair = job.qa_pairs.first()
    client.force_login(superuser_factory())

    for path in [
        f"template-versions/{approved_version.pk}/",
        f"templates/{approved_version.template.pk}/",
        f"jobs/{job.pk}/",
        f"jobs/{job.pk}/rejected/",
        f"qa-pairs/{pair.pk}/",
    ]:
        assert client.get(f"/api/v1/{path}", HTTP_ACCEPT="text/html").status_code == 200, path
