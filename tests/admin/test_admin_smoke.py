"""Every admin page a user can reach opens: changelist, add, change and history."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from synthgov.demo import finish_demo_job, load_demo
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def demo(superuser, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = load_demo()
    finish_demo_job(outcome.job)


def admin_urls():
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        yield model, model_admin, info


def test_every_admin_page_opens(client, superuser, demo):
    client.force_login(superuser)
    opened = 0
    for model, model_admin, (app, name) in admin_urls():
        assert client.get(reverse(f"admin:{app}_{name}_changelist")).status_code == 200, name
        if model_admin.has_add_permission(_request(superuser)):
            assert client.get(reverse(f"admin:{app}_{name}_add")).status_code == 200, name
        obj = model.objects.first()
        if obj is not None:
            assert client.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk])).status_code == 200, name
            assert client.get(reverse(f"admin:{app}_{name}_history", args=[obj.pk])).status_code == 200, name
            opened += 1
    assert opened >= 8


def test_the_job_trigger_form_opens(client, superuser, demo):
    client.force_login(superuser)
    assert client.get(reverse("admin:jobs_app_generationjob_trigger")).status_code == 200


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request
