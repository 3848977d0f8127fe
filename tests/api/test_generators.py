"""GET /api/v1/generators/ (the backend registry with each config schema) and
/api/v1/generator-profiles/ (admin-managed profiles, never a key)."""

import jsonschema
import pytest

from jobs_app.api.generators import NO_SUCH_GENERATOR
from jobs_app.generators import GENERATORS
from jobs_app.models import GeneratorProfile

KEY_VARIABLE = "SYNTHGOV_TEST_PROFILE_KEY"
SECRET = "sk-test-0123456789abcdef-never-shown"


@pytest.fixture
def profile(db):
    return GeneratorProfile.objects.create(
        name="local", base_url="http://127.0.0.1:8001/v1", model="qwen", api_key_env=KEY_VARIABLE, concurrency=8
    )


def test_generators_list_every_backend_of_the_registry_with_its_config_schema(api, nobody):
    response = api(nobody).get("/api/v1/generators/")

    assert response.status_code == 200
    assert [backend["key"] for backend in response.json()] == list(GENERATORS)
    for backend in response.json():
        jsonschema.Draft202012Validator.check_schema(backend["config_schema"])
        assert backend["description"]


def test_generators_need_a_signed_in_user(api, db):
    assert api().get("/api/v1/generators/").status_code in (401, 403)


def test_one_generator_by_key(api, nobody):
    body = api(nobody).get("/api/v1/generators/openai/").json()

    assert body["key"] == "openai"
    assert body["reports_usage"] is True
    assert body["config_schema"]["required"] == ["profile"]
    assert set(body["config_schema"]["properties"]) == {"profile", "temperature", "max_tokens", "judge_profile"}


def test_an_unknown_generator_is_a_404_naming_the_known_ones(api, nobody):
    response = api(nobody).get("/api/v1/generators/gpt5/")

    assert response.status_code == 404
    assert response.json() == {"detail": NO_SUCH_GENERATOR.format(key="gpt5", known="template, openai")}


@pytest.mark.parametrize(
    ("generator", "config"),
    [
        ("template", {}),
        ("template", {"judge_profile": "local"}),
        ("openai", {"profile": "local"}),
        ("openai", {"profile": "local", "temperature": 0.2, "max_tokens": 64, "judge_profile": "local"}),
    ],
)
def test_a_config_the_schema_accepts_the_trigger_check_accepts(generator, config, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    schema = api_schema(generator)

    jsonschema.validate(config, schema)
    assert GENERATORS[generator].config_problems(config) == []


@pytest.mark.parametrize(
    ("generator", "config"),
    [
        ("template", {"profile": "local"}),
        ("openai", {}),
        ("openai", {"profile": "local", "temperature": 3}),
        ("openai", {"profile": "local", "max_tokens": 0}),
        ("openai", {"profile": "local", "top_p": 0.5}),
    ],
)
def test_a_config_the_schema_refuses_the_trigger_check_refuses(generator, config, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)
    schema = api_schema(generator)

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, schema)
    assert GENERATORS[generator].config_problems(config) != []


def api_schema(generator: str) -> dict:
    from jobs_app.api.generators import describe_generator

    return describe_generator(GENERATORS[generator])["config_schema"]


def test_profiles_list_the_admin_managed_profiles(api, operator, profile):
    response = api(operator).get("/api/v1/generator-profiles/")

    assert response.status_code == 200
    [shown] = response.json()["results"]
    assert (shown["name"], shown["model"], shown["concurrency"], shown["api_key_env"]) == (
        "local",
        "qwen",
        8,
        KEY_VARIABLE,
    )


def test_a_profile_says_whether_its_key_variable_is_set_never_the_key(api, operator, profile, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, SECRET)

    response = api(operator).get("/api/v1/generator-profiles/local/")

    assert response.json()["api_key_set"] is True
    assert SECRET not in response.content.decode()


def test_a_profile_whose_key_variable_is_unset_says_so(api, operator, profile, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)

    assert api(operator).get("/api/v1/generator-profiles/local/").json()["api_key_set"] is False


def test_a_profile_without_a_key_variable_says_null(api, operator, profile):
    GeneratorProfile.objects.filter(pk=profile.pk).update(api_key_env="")

    assert api(operator).get("/api/v1/generator-profiles/local/").json()["api_key_set"] is None


def test_profiles_need_the_view_permission(api, nobody, profile):
    response = api(nobody).get("/api/v1/generator-profiles/")

    assert response.status_code == 403
    assert "jobs_app.view_generatorprofile" in response.json()["detail"]


def test_profiles_are_read_only(api, superuser_factory, profile):
    client = api(superuser_factory())

    assert client.post("/api/v1/generator-profiles/", {"name": "x"}, format="json").status_code == 405
    assert client.delete("/api/v1/generator-profiles/local/").status_code == 405


def test_an_unknown_profile_is_a_404(api, operator, db):
    assert api(operator).get("/api/v1/generator-profiles/nope/").status_code == 404


def test_the_profile_list_costs_fixed_queries(api, operator, profile, django_assert_num_queries):
    for index in range(5):
        GeneratorProfile.objects.create(name=f"p{index}", base_url="http://127.0.0.1:1/v1", model="m")
    client = api(operator)

    # The user's group and own permissions, then count and rows of the page.
    with django_assert_num_queries(4):
        client.get("/api/v1/generator-profiles/")


def test_a_nul_in_a_profile_filter_is_a_400_naming_it(api, operator, profile):
    response = api(operator).get("/api/v1/generator-profiles/", {"name": "lo\x00cal"})

    assert response.status_code == 400
    assert "name" in response.json()


def test_an_overlong_profile_filter_finds_nothing(api, operator, profile):
    response = api(operator).get("/api/v1/generator-profiles/", {"model": "m" * 100_000})

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("path", ["/api/v1/generator-profiles/lo%00cal/", "/api/v1/generators/op%00enai/"])
def test_a_nul_in_a_lookup_is_a_404(api, operator, profile, path):
    assert api(operator).get(path).status_code == 404


def test_an_overlong_lookup_is_a_404(api, operator, profile):
    assert api(operator).get("/api/v1/generator-profiles/" + "x" * 10_000 + "/").status_code == 404
