"""The adaptive concurrency controller on its own, with a clock the test moves (no sleeping, no server)."""

import threading

import pytest

from jobs_app.generators.aimd import MAX_PAUSE_SECONDS, AIMDController, Outcome


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


def controller(clock, minimum=1, maximum=8, **options) -> AIMDController:
    return AIMDController(minimum=minimum, maximum=maximum, clock=clock, **options)


def fill(aimd: AIMDController) -> list:
    """Take every ticket the controller gives now."""
    tickets = []
    while (ticket := aimd.try_acquire()) is not None:
        tickets.append(ticket)
    return tickets


def limits(aimd: AIMDController) -> list[tuple[int, str]]:
    return [(change.concurrency, change.reason) for change in aimd.changes_since(0)]


def test_it_starts_at_the_maximum(clock):
    assert controller(clock, maximum=8).limit == 8


def test_no_more_requests_than_the_limit_are_in_flight(clock):
    aimd = controller(clock, maximum=3)

    assert len(fill(aimd)) == 3
    assert aimd.try_acquire() is None


def test_a_429_halves_the_limit(clock):
    aimd = controller(clock, maximum=8)
    ticket = aimd.try_acquire()

    aimd.release(ticket, Outcome.THROTTLED)

    assert aimd.limit == 4
    assert limits(aimd) == [(4, "throttled")]


@pytest.mark.parametrize("outcome", [Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.CONNECTION])
def test_server_errors_timeouts_and_failed_connections_halve_the_limit(clock, outcome):
    aimd = controller(clock, maximum=8)

    aimd.release(aimd.try_acquire(), outcome)

    assert limits(aimd) == [(4, outcome.value)]


def test_a_refused_request_leaves_the_limit_alone(clock):
    aimd = controller(clock, maximum=8)

    aimd.release(aimd.try_acquire(), Outcome.NEUTRAL)

    assert (aimd.limit, limits(aimd)) == (8, [])


def test_the_failures_of_one_round_halve_the_limit_once(clock):
    aimd = controller(clock, maximum=8)
    tickets = fill(aimd)

    for ticket in tickets:
        aimd.release(ticket, Outcome.THROTTLED)

    assert limits(aimd) == [(4, "throttled")]


def test_a_failure_in_the_next_round_halves_it_again(clock):
    aimd = controller(clock, maximum=8)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    assert limits(aimd) == [(4, "throttled"), (2, "throttled")]


def test_the_limit_never_goes_below_the_minimum(clock):
    aimd = controller(clock, minimum=3, maximum=8)

    for _ in range(4):
        aimd.release(aimd.try_acquire(), Outcome.SERVER_ERROR)

    assert aimd.limit == 3
    assert limits(aimd) == [(4, "server_error"), (3, "server_error")]


def test_a_round_of_fast_successes_adds_one(clock):
    aimd = controller(clock, maximum=8)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)
    tickets = fill(aimd)

    for ticket in tickets:
        aimd.release(ticket, Outcome.SUCCESS, latency=0.1)

    assert len(tickets) == 4
    assert limits(aimd) == [(4, "throttled"), (5, "increase")]


def test_fewer_successes_than_the_limit_add_nothing(clock):
    aimd = controller(clock, maximum=8)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    for ticket in fill(aimd)[:3]:
        aimd.release(ticket, Outcome.SUCCESS, latency=0.1)

    assert aimd.limit == 4


def test_the_limit_climbs_back_to_the_maximum_and_no_further(clock):
    aimd = controller(clock, maximum=4)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    for _ in range(10):
        for ticket in fill(aimd):
            aimd.release(ticket, Outcome.SUCCESS, latency=0.1)

    assert [concurrency for concurrency, _ in limits(aimd)] == [2, 3, 4]


def test_slow_replies_add_nothing(clock):
    aimd = controller(clock, maximum=8, slow_after_seconds=1.0)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    for ticket in fill(aimd):
        aimd.release(ticket, Outcome.SUCCESS, latency=1.5)

    assert aimd.limit == 4


def test_successes_of_requests_sent_before_a_change_do_not_count_towards_the_next(clock):
    aimd = controller(clock, maximum=8)
    early = fill(aimd)
    aimd.release(early.pop(), Outcome.THROTTLED)

    for ticket in early:
        aimd.release(ticket, Outcome.SUCCESS, latency=0.1)

    assert aimd.limit == 4


def test_retry_after_pauses_every_sender_until_it_has_passed(clock):
    aimd = controller(clock, maximum=8)
    first, second = aimd.try_acquire(), aimd.try_acquire()

    aimd.release(first, Outcome.THROTTLED, retry_after=2.0)

    assert aimd.try_acquire() is None
    clock.now += 1.99
    assert aimd.try_acquire() is None
    aimd.release(second, Outcome.SUCCESS, latency=0.1)
    assert aimd.try_acquire() is None
    clock.now += 0.01
    assert aimd.try_acquire() is not None


def test_a_pause_is_recorded_with_the_change(clock):
    aimd = controller(clock, maximum=8)

    aimd.release(aimd.try_acquire(), Outcome.THROTTLED, retry_after=2.0)

    change = aimd.changes_since(0)[0]
    assert (change.at, change.concurrency, change.reason, change.pause_seconds) == (1000.0, 4, "throttled", 2.0)


def test_a_pause_at_the_minimum_is_recorded_though_the_limit_stays(clock):
    aimd = controller(clock, minimum=1, maximum=1)

    aimd.release(aimd.try_acquire(), Outcome.THROTTLED, retry_after=1.0)

    assert [(c.concurrency, c.reason, c.pause_seconds) for c in aimd.changes_since(0)] == [(1, "throttled", 1.0)]


def test_a_longer_pause_is_capped(clock):
    aimd = controller(clock, maximum=8)

    aimd.release(aimd.try_acquire(), Outcome.THROTTLED, retry_after=3600)

    assert aimd.pause_remaining() == MAX_PAUSE_SECONDS


def test_a_later_shorter_retry_after_does_not_shorten_the_pause(clock):
    aimd = controller(clock, maximum=8)
    first, second = aimd.try_acquire(), aimd.try_acquire()

    aimd.release(first, Outcome.THROTTLED, retry_after=5.0)
    aimd.release(second, Outcome.THROTTLED, retry_after=1.0)

    assert aimd.pause_remaining() == 5.0


def test_changes_since_returns_only_later_changes(clock):
    aimd = controller(clock, maximum=8)
    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)
    seen = aimd.sequence

    aimd.release(aimd.try_acquire(), Outcome.THROTTLED)

    assert [change.concurrency for change in aimd.changes_since(seen)] == [2]


@pytest.mark.parametrize(("minimum", "maximum"), [(0, 4), (5, 4)])
def test_bounds_out_of_order_are_refused(clock, minimum, maximum):
    with pytest.raises(ValueError, match="1 <= minimum <= maximum"):
        controller(clock, minimum=minimum, maximum=maximum)


def test_acquire_waits_for_a_free_slot():
    aimd = AIMDController(minimum=1, maximum=1)
    held = aimd.acquire()
    got = threading.Event()

    def second_sender():
        aimd.release(aimd.acquire(), Outcome.SUCCESS, latency=0.0)
        got.set()

    thread = threading.Thread(target=second_sender)
    thread.start()
    assert not got.wait(0.05)
    aimd.release(held, Outcome.SUCCESS, latency=0.0)
    thread.join(5)

    assert got.is_set()
    assert aimd.in_flight == 0
