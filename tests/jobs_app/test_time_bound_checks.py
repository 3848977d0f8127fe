"""The system check that refuses time bounds of batches, shards, q2 tasks and the broker that contradict each other."""

import pytest

from jobs_app.checks import check_time_bounds


def error_ids() -> list[str]:
    return [error.id for error in check_time_bounds()]


@pytest.fixture
def bounds(settings):
    def set_bounds(*, batch=240, stale=300, timeout=1800, retry=1900):
        settings.SYNTHGOV_BATCH_MAX_SECONDS = batch
        settings.SYNTHGOV_SHARD_STALE_SECONDS = stale
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": timeout, "retry": retry}

    return set_bounds


def test_the_default_settings_pass():
    assert error_ids() == []


def test_a_retry_not_longer_than_the_timeout_is_an_error(bounds):
    bounds(timeout=1800, retry=1800)

    assert error_ids() == ["jobs.E002"]


def test_stale_seconds_not_longer_than_the_longest_batch_is_an_error(bounds):
    bounds(batch=300, stale=300)

    assert error_ids() == ["jobs.E003"]


def test_a_timeout_not_longer_than_the_longest_batch_is_an_error(bounds):
    bounds(batch=240, stale=2000, timeout=240, retry=300)

    assert error_ids() == ["jobs.E004"]


@pytest.mark.parametrize("value", [0, -5, "300", None])
def test_a_bound_that_is_not_a_positive_number_is_an_error(bounds, value):
    bounds(stale=value)

    assert error_ids() == ["jobs.E001"]


def test_a_negative_number_of_quick_retries_is_an_error(settings):
    settings.SYNTHGOV_SHARD_QUICK_RETRIES = -1

    assert error_ids() == ["jobs.E005"]


def test_the_check_message_names_both_values(bounds):
    bounds(timeout=1800, retry=60)

    assert "Q_CLUSTER['retry'] (60 s) must be longer than Q_CLUSTER['timeout'] (1800 s)" in check_time_bounds()[0].msg
