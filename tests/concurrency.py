"""Run a function in several threads at once, each with its own database connection."""

import threading
import traceback

from django.db import connection


def run_concurrently(*calls, timeout: float = 120) -> list:
    """Call each zero-argument function in its own thread, all released together; returns what each
    returned or raised, in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results


def outcome_names(results) -> list[str]:
    """The sorted type names of what each call returned or raised."""
    return sorted(type(result).__name__ for result in results)


def unexpected_errors(results) -> str:
    """The full tracebacks of what the calls raised, for an assertion message: a race that fails
    once in a hundred runs must say where."""
    return "\n".join(
        "".join(traceback.format_exception(result)) for result in results if isinstance(result, BaseException)
    )
