"""The console of `make run`: one line per refused request, tracebacks only for real errors, a quiet scheduler."""

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule, Success
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage
from django_q.tasks import _sync
from rest_framework.test import APIClient

from jobs_app.api.views import JobViewSet


def warnings_and_worse(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_a_refusal_in_the_admin_logs_one_line_without_a_traceback(client, reviewer, caplog):
    client.force_login(reviewer)

    response = client.get("/admin/templates_app/chapter/")

    assert response.status_code == 403
    [record] = warnings_and_worse(caplog)
    assert record.name == "synthgov.refusals"
    assert record.getMessage() == "Refused: 403 GET /admin/templates_app/chapter/ user=reviewer: permission denied"
    assert record.exc_info is None


def test_a_refusal_by_a_service_in_the_api_logs_one_line_with_the_reason_the_caller_got(
    approved_version, reviewer, caplog
):
    api = APIClient()
    api.force_authenticate(reviewer)

    response = api.post(
        "/api/v1/jobs/",
        {"template_version": approved_version.pk, "tenant_id": "acme", "record_count": 1, "target_surface": "training"},
        format="json",
    )

    assert response.status_code == 403
    [record] = warnings_and_worse(caplog)
    assert record.name == "synthgov.refusals"
    assert record.getMessage() == f"Refused: 403 POST /api/v1/jobs/ user=reviewer: {response.json()['detail']}"
    assert record.exc_info is None


def test_a_csrf_refusal_logs_one_line_with_its_reason(caplog):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "someone", "password": "x"})

    assert response.status_code == 403
    [record] = warnings_and_worse(caplog)
    assert record.getMessage() == (
        "Refused: 403 POST /admin/login/ user=anonymous: CSRF verification failed: CSRF cookie not set."
    )


def test_a_server_error_still_logs_its_traceback(operator, caplog, monkeypatch):
    def broken_list(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(JobViewSet, "list", broken_list)
    client = Client(raise_request_exception=False)
    client.force_login(operator)

    response = client.get("/api/v1/jobs/")

    assert response.status_code == 500
    [record] = warnings_and_worse(caplog)
    assert record.name == "django.request"
    assert record.levelno == logging.ERROR
    assert isinstance(record.exc_info[1], RuntimeError)


def test_a_django_record_reaches_one_console_handler_so_it_is_printed_once():
    logger, console_handlers = logging.getLogger("django.request"), []
    while logger is not None:
        # pytest's own capture handlers are subclasses; the console handlers are plain StreamHandlers.
        console_handlers += [handler for handler in logger.handlers if type(handler) is logging.StreamHandler]
        logger = logger.parent if logger.propagate else None

    assert len(console_handlers) == 1


def test_the_runserver_access_log_keeps_its_own_timestamped_lines():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, '"GET / HTTP/1.1" 200 0', (), None)

    [handler] = [handler for handler in logger.handlers if type(handler) is logging.StreamHandler]
    assert re.fullmatch(r'\[[^]]+\] "GET / HTTP/1.1" 200 0', handler.format(record))
    assert not logger.propagate


@pytest.mark.django_db
def test_the_scheduler_runs_a_due_schedule_without_info_lines(caplog):
    Schedule.objects.all().delete()
    Schedule.objects.create(
        func="math.floor",
        args="2.5",
        schedule_type=Schedule.MINUTES,
        minutes=1,
        next_run=timezone.now() - timedelta(seconds=5),
    )

    scheduler()

    assert Success.objects.filter(func="math.floor").exists()
    routine = [record for record in caplog.records if record.name == "django-q" and record.levelno < logging.WARNING]
    assert [record.getMessage() for record in routine] == []


@pytest.mark.django_db
def test_a_failing_task_still_logs_its_failure(caplog):
    # A cluster's worker and monitor, run in this process as django-q2's sync mode does, but
    # without sync mode's re-raising, so the failure is reported the way a cluster reports it.
    task = {"id": uuid.uuid4().hex, "name": "a-failing-task", "func": "math.floor", "args": ("not a number",)}
    _sync(SignedPackage.dumps({**task, "kwargs": {}, "started": timezone.now()}))

    failures = [record for record in caplog.records if record.name == "django-q" and record.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "Failed 'math.floor'" in failures[0].getMessage()
