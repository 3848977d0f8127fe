"""Authentication, the permission gate, and the one error shape every endpoint answers with."""

from rest_framework.authtoken.models import Token

from synthgov.api.exceptions import exception_handler
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from tests.factories import ChapterFactory, PromptTemplateFactory

CHAPTERS = "/api/v1/chapters/"


def test_anonymous_requests_are_refused_with_401(api, db):
    response = api().get(CHAPTERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_authenticates_the_api_client(api, api_client_user):
    ChapterFactory()
    token = Token.objects.create(user=api_client_user)

    response = api().get(CHAPTERS, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert [chapter["key"] for chapter in response.json()["results"]] == ["arithmetic"]


def test_an_unknown_token_is_refused_with_401(api, db):
    response = api().get(CHAPTERS, HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_session_authenticates_a_signed_in_user(api, api_client_user):
    client = api()
    client.force_login(api_client_user)

    assert client.get(CHAPTERS).status_code == 200


def test_reading_needs_the_models_view_permission(api, nobody):
    response = api(nobody).get(CHAPTERS)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This needs the 'templates_app.view_chapter' permission; "
        "ask an administrator to give you a role (group) that has it."
    }


def test_writing_plain_resources_needs_the_models_add_permission(api, api_client_user):
    response = api(api_client_user).post(CHAPTERS, {"key": "algebra", "title": "Algebra"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("This needs the 'templates_app.add_chapter' permission;")


def test_an_unknown_id_answers_404(api, api_client_user):
    response = api(api_client_user).get(f"{CHAPTERS}999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No Chapter matches the given query."}


def test_a_domain_error_with_a_field_names_the_field():
    response = exception_handler(InvalidInput("seed must be a whole number.", field="seed"), {})

    assert response.status_code == 400
    assert response.data == {"detail": "seed must be a whole number.", "seed": ["seed must be a whole number."]}


def test_a_refused_transition_answers_409_and_a_refused_permission_403():
    assert exception_handler(TransitionRefused("It is archived."), {}).status_code == 409
    assert exception_handler(PermissionRefused("Ask an approver."), {}).status_code == 403


def test_deleting_a_chapter_that_templates_use_answers_409_saying_what_refers_to_it(api, superuser_factory):
    template = PromptTemplateFactory()

    response = api(superuser_factory()).delete(f"{CHAPTERS}{template.chapter.pk}/")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This chapter cannot be deleted: 1 prompt template, 1 subchapter still refer to it. "
        "Remove or reassign them first."
    )


def test_a_url_no_endpoint_serves_answers_404_in_json(api, api_client_user):
    response = api(api_client_user).get("/api/v1/no-such-resource/")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No API endpoint at /api/v1/no-such-resource/; the endpoints are listed at /api/docs/."
    }


def test_a_token_is_issued_for_a_username_and_password(api, api_client_user):
    response = api().post("/api/auth/token/", {"username": "api-client", "password": "pw"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=api_client_user).key}


def test_a_concurrent_state_change_answers_409_asking_to_reload():
    from django_fsm import ConcurrentTransition

    response = exception_handler(ConcurrentTransition("state changed"), {})

    assert response.status_code == 409
    assert response.data["detail"].endswith("Reload it and try again.")
