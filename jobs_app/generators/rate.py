"""A requests-per-minute limit shared by every thread of this process that uses the same profile.

Hand-written because it is a dozen lines: the libraries that wait for a permit either are
asyncio-only (aiolimiter), unmaintained (ratelimit), or bring pluggable backends and a
background leaking thread (pyrate-limiter) that a minimum interval does not need.
"""

import threading
import time


class MinimumInterval:
    """Spaces calls at least 60/per_minute seconds apart, evenly rather than in bursts."""

    def __init__(self, per_minute: int):
        self.interval = 60.0 / per_minute
        self._lock = threading.Lock()
        self._next_slot = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


_limiters: dict[tuple[str, int], MinimumInterval] = {}
_limiters_lock = threading.Lock()


def limiter_for(profile_name: str, per_minute: int) -> MinimumInterval:
    """The process-wide limiter of a profile, so consecutive batches and jobs share one budget."""
    with _limiters_lock:
        return _limiters.setdefault((profile_name, per_minute), MinimumInterval(per_minute))
