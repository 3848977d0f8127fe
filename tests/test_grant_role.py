"""`manage.py grant_role USER ROLE` gives a colleague a role group, or says in one line why not."""

import pytest
from django.core.management import CommandError, call_command

from tests.factories import UserFactory


@pytest.mark.django_db
def test_grant_role_puts_the_user_in_the_group_with_staff_status(capsys):
    user = UserFactory(username="alice", is_staff=False)

    call_command("grant_role", "alice", "Reviewers")

    user.refresh_from_db()
    assert [group.name for group in user.groups.all()] == ["Reviewers"]
    assert user.is_staff
    assert "alice now has the role 'Reviewers'" in capsys.readouterr().out


@pytest.mark.django_db
def test_grant_role_for_api_clients_gives_no_staff_status():
    user = UserFactory(username="bot", is_staff=False)

    call_command("grant_role", "bot", "API clients")

    user.refresh_from_db()
    assert not user.is_staff
    assert user.has_perm("qa_app.review_qapair")


@pytest.mark.django_db
def test_grant_role_refuses_an_unknown_role_naming_the_roles():
    UserFactory(username="alice")

    with pytest.raises(CommandError, match=r"No role 'Reviewer'; the roles are: Template authors, Approvers"):
        call_command("grant_role", "alice", "Reviewer")


@pytest.mark.django_db
def test_grant_role_refuses_an_unknown_user_unless_asked_to_create_it(capsys):
    with pytest.raises(CommandError, match="No user 'carol'; pass --create"):
        call_command("grant_role", "carol", "Curators")

    call_command("grant_role", "carol", "Curators", "--create")

    assert "Created user 'carol' with password" in capsys.readouterr().out
