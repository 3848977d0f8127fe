"""The batches of a shard run, in order, each with what its backend generated for it.

An LLM backend spends a batch waiting on a server (a few rounds of requests); between two batches
the shard checks and commits the last one, and while it did no request was in flight. For such a
backend (`Generator.waits_on_network`) the next batch is generated in one background thread while
the shard's thread processes and commits the current one: a prefetch of depth one, so the
server's concurrency stays used across batch boundaries.

Only generation moves. Every batch is still processed, committed with the compare-and-set on the
shard's progress, and followed by the checks for cancel, failure and early stop in the shard's
thread, in order. When the shard stops after a batch, the batch generated ahead is dropped and
never committed: at most one batch of requests is spent for nothing. An exception raised while
generating ahead (BackendUnavailable, a transient database fault) is raised when its batch's turn
comes, as if the shard's thread had generated it then.

The background thread reads the database (the batch's settled indexes; the judge's pairs holding
a content) on its own connection, kept from batch to batch and closed when the shard run ends. A
database fault in that thread ends the run like any exception of generation (a transient one hands
the shard back), so a broken connection is never used for a second batch.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from .pipeline import BatchProcessor, PreparedBatch


def batch_ranges(start: int, stop: int, size: int) -> list[tuple[int, int]]:
    """[start, stop) cut into consecutive ranges of `size` records (the last may be shorter)."""
    return [(low, min(low + size, stop)) for low in range(start, stop, size)]


def _close_this_threads_connection() -> None:
    # Looked up when it runs: `connection` is the connection of the thread that uses it.
    connection.close()


class GeneratedBatches:
    """Iterate for (start, stop, PreparedBatch) in order; `close` (also on leaving a `with`) waits for the
    batch generated ahead to end and drops it. Close it before the processor."""

    def __init__(self, processor: BatchProcessor, ranges: list[tuple[int, int]]):
        self.processor = processor
        self.ranges = ranges
        self._pool = None
        if processor.waits_on_network:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate-ahead")

    def __iter__(self) -> Iterator[tuple[int, int, PreparedBatch]]:
        if self._pool is None:
            for start, stop in self.ranges:
                yield start, stop, self.processor.generate(start, stop)
            return
        ahead = self._pool.submit(self._generate, *self.ranges[0]) if self.ranges else None
        for number, (start, stop) in enumerate(self.ranges):
            # Raises what generating this batch raised, now that its turn has come.
            prepared = ahead.result()
            if number + 1 < len(self.ranges):
                # Sent before this batch is processed and committed: the requests overlap the commit.
                ahead = self._pool.submit(self._generate, *self.ranges[number + 1])
            yield start, stop, prepared

    def _generate(self, start: int, stop: int) -> PreparedBatch:
        return self.processor.generate(start, stop)

    def close(self) -> None:
        if self._pool is not None:
            # One thread runs every task: this last one closes the connection the thread opened.
            # The batch ahead, already handed to the thread, runs to its end first.
            self._pool.submit(_close_this_threads_connection)
            self._pool.shutdown(wait=True)

    def __enter__(self) -> "GeneratedBatches":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
