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
