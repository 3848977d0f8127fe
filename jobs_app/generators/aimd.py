"""Adaptive concurrency (AIMD) for the requests of one generator profile in one worker process.

Additive increase, multiplicative decrease, as TCP does it: the limit grows by one after a
round of fast successful replies (as many as the limit itself), and halves on a 429, a 5xx, a
timeout or a failed connection, never below the profile's min_concurrency nor above its
concurrency. A decrease happens at most once per round: the requests already in flight when the
limit changed were sent at the old limit, so their failures say nothing new. A `Retry-After`
pauses every sender of the process until it has passed.

Hand-written: the Python packages that do AIMD are asyncio-only or driven by CPU and memory
readings (aimd-limiter, ace-concurrency), not by the replies of one HTTP server, and this is a
hundred lines.

Scope: one controller per worker process and profile (`controller_for`), like the
requests-per-minute limiter (rate.py). Every batch and every job of the process that uses the
profile shares it, so what the server said carries over; N worker processes each adapt on their
own (together at most N x concurrency requests), and since each of them meets the server's 429s
they all back off.
"""

import enum
import threading
import time
from collections import deque
from dataclasses import dataclass

# A server that asks for a longer pause is waited for this long, then asked again.
MAX_PAUSE_SECONDS = 60.0
# Changes kept for readers that fall behind (each generator reads them once per batch).
KEPT_CHANGES = 1000


class Outcome(enum.Enum):
    SUCCESS = "success"
    # A reply, but slower than the profile thinks fast: no reason to send more, none to send less.
    SLOW = "slow"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    # Neither a sign of load nor of room (a 400, a 401, a 409): the limit stays.
    NEUTRAL = "neutral"


DECREASING = {Outcome.THROTTLED, Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.CONNECTION}


@dataclass(frozen=True, slots=True)
class Ticket:
    """A permission to send one request; `round` is the limit's round it was taken in."""

    round: int


@dataclass(frozen=True, slots=True)
class Change:
    """The limit became `concurrency` at `at` (the controller's clock) because of `reason`."""

    sequence: int
    at: float
    concurrency: int
    reason: str
    pause_seconds: float | None = None


class AIMDController:
    """A semaphore whose size follows the server: `acquire` before a request, `release` with its outcome."""

    def __init__(
        self,
        *,
        minimum: int,
        maximum: int,
        start: int | None = None,
        decrease_factor: float = 0.5,
        slow_after_seconds: float | None = None,
        clock=time.monotonic,
    ):
        if not 1 <= minimum <= maximum:
            raise ValueError(f"the bounds must satisfy 1 <= minimum <= maximum; got {minimum} and {maximum}")
        if not 0 < decrease_factor < 1:
            raise ValueError(f"decrease_factor must be between 0 and 1; got {decrease_factor}")
        self.minimum, self.maximum = minimum, maximum
        self.decrease_factor = decrease_factor
        self.slow_after_seconds = slow_after_seconds
        self.clock = clock
        self._condition = threading.Condition()
        self._limit = min(maximum, max(minimum, start if start is not None else maximum))
        self._round = 0
        self._successes = 0
        self._in_flight = 0
        self._paused_until = 0.0
        self._sequence = 0
        self._changes: deque[Change] = deque(maxlen=KEPT_CHANGES)

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def sequence(self) -> int:
        """The number of the last change; pass it to `changes_since` to read only later ones."""
        return self._sequence

    def pause_remaining(self) -> float:
        return max(0.0, self._paused_until - self.clock())

    def try_acquire(self) -> Ticket | None:
        """A ticket when a request may go now: not paused, and fewer than `limit` in flight."""
        with self._condition:
            return self._take()

    def acquire(self) -> Ticket:
        """Wait until a request may go: until any pause has passed and a slot is free."""
        with self._condition:
            while (ticket := self._take()) is None:
                pause = self._paused_until - self.clock()
                self._condition.wait(pause if pause > 0 else None)
            return ticket

    def release(
        self, ticket: Ticket, outcome: Outcome, *, latency: float | None = None, retry_after: float | None = None
    ) -> None:
        """Give the slot back and adapt to what the request met; `retry_after` (seconds) pauses every sender."""
        with self._condition:
            self._in_flight -= 1
            now = self.clock()
            pause = None
            if retry_after is not None and retry_after > 0:
                pause = min(retry_after, MAX_PAUSE_SECONDS)
                self._paused_until = max(self._paused_until, now + pause)
            slow_after = self.slow_after_seconds
            if outcome is Outcome.SUCCESS and slow_after is not None and latency is not None and latency > slow_after:
                outcome = Outcome.SLOW
            if outcome is Outcome.SUCCESS and ticket.round == self._round:
                self._successes += 1
                if self._successes >= self._limit:
                    self._set(self._limit + 1, "increase", now)
            elif outcome in DECREASING and ticket.round == self._round:
                self._set(int(self._limit * self.decrease_factor), outcome.value, now, pause, always=pause is not None)
            self._condition.notify_all()

    def changes_since(self, sequence: int) -> list[Change]:
        """The changes after `sequence`, oldest first (the oldest may have been dropped past KEPT_CHANGES)."""
        with self._condition:
            return [change for change in self._changes if change.sequence > sequence]

    def _take(self) -> Ticket | None:
        if self.clock() < self._paused_until or self._in_flight >= self._limit:
            return None
        self._in_flight += 1
        return Ticket(self._round)

    def _set(self, limit: int, reason: str, now: float, pause: float | None = None, always: bool = False) -> None:
        """A new round at `limit` (within the bounds), recorded when the limit moved (or a pause began)."""
        limit = min(self.maximum, max(self.minimum, limit))
        self._round += 1
        self._successes = 0
        if limit == self._limit and not always:
            return
        self._limit = limit
        self._sequence += 1
        self._changes.append(Change(self._sequence, now, limit, reason, pause))


_controllers: dict[tuple, AIMDController] = {}
_controllers_lock = threading.Lock()


def controller_for(name: str, *, minimum: int, maximum: int, slow_after_seconds: float | None) -> AIMDController:
    """The process-wide controller of a profile; a profile saved with other bounds gets a new one."""
    key = (name, minimum, maximum, slow_after_seconds)
    with _controllers_lock:
        controller = _controllers.get(key)
        if controller is None:
            controller = _controllers[key] = AIMDController(
                minimum=minimum, maximum=maximum, slow_after_seconds=slow_after_seconds
            )
        return controller


def forget_controllers() -> None:
    """Start every profile afresh (tests; a process otherwise keeps what it learnt)."""
    with _controllers_lock:
        _controllers.clear()
