"""The role groups a migration creates, and what each may do."""

from django.contrib.auth.models import Group

from synthgov.roles import ROLES


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app}.{codename}" for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_migrations_give_every_role_its_permissions(db):
    for name, permissions in ROLES.items():
        assert group_permissions(name) == set(permissions), name


def test_api_clients_may_do_over_rest_what_authors_operators_reviewers_and_curators_do(db):
    api_clients = group_permissions("API clients")

    for role in ("Template authors", "Operators", "Reviewers", "Curators"):
        assert group_permissions(role) <= api_clients, role


def test_api_clients_may_not_publish_or_archive_templates(db):
    assert not {"templates_app.publish_templateversion", "templates_app.archive_templateversion"} & group_permissions(
        "API clients"
    )
