"""What the adaptive concurrency did during a job: its changes over time and the faults met.

The generator reports per batch (ConcurrencyReport); the shard keeps the sum of its reports in
JobShard.concurrency_log (written with the batch, so it is as durable as the records); the job's
output manifest merges its shards' logs (`manifest_concurrency`).
"""

from collections import Counter
from dataclasses import dataclass, field

# Points kept per shard and in the manifest: the first (the start) and the latest ones.
MAX_SERIES_POINTS = 200
THROTTLED = "HTTP 429"
# What the manifest says about the scope of the numbers it reports.
SCOPE = "per worker process and profile: each process running a shard adapts on its own"


@dataclass
class ConcurrencyReport:
    """Changes since the last report, as (wall-clock time, concurrency, reason, pause seconds or None)."""

    minimum: int
    maximum: int
    changes: list[tuple[float, int, str, float | None]] = field(default_factory=list)
    faults: Counter = field(default_factory=Counter)


def _capped(series: list, dropped: int) -> tuple[list, int]:
    if len(series) <= MAX_SERIES_POINTS:
        return series, dropped
    cut = len(series) - MAX_SERIES_POINTS
    return [series[0], *series[cut + 1 :]], dropped + cut


def log_add(stored: dict | None, report: ConcurrencyReport) -> dict:
    """The shard's log (JSON) with a report added."""
    log = {"series": [], "dropped": 0, "faults": {}, **(stored or {})}
    log["minimum"], log["maximum"] = report.minimum, report.maximum
    series = log["series"] + [
        {"at": round(at, 3), "concurrency": concurrency, "reason": reason, **({"pause_s": pause} if pause else {})}
        for at, concurrency, reason, pause in report.changes
    ]
    log["series"], log["dropped"] = _capped(series, log["dropped"])
    faults = Counter(log["faults"])
    faults.update(report.faults)
    log["faults"] = dict(sorted(faults.items()))
    return log


def manifest_concurrency(logs: list[tuple[int, dict]], *, started_at: float) -> dict | None:
    """The manifest's `concurrency`: bounds, throttles and errors, and the series of every shard in time order,
    with `t` in seconds since the job started. None when no shard logged (a backend without adaptive concurrency)."""
    logs = [(index, log) for index, log in logs if log]
    if not logs:
        return None
    several = len(logs) > 1
    faults, series, dropped = Counter(), [], 0
    for index, log in logs:
        faults.update(log.get("faults", {}))
        dropped += log.get("dropped", 0)
        for point in log.get("series", []):
            entry = {"t": round(point["at"] - started_at, 3), "concurrency": point["concurrency"]}
            entry["reason"] = point["reason"]
            if "pause_s" in point:
                entry["pause_s"] = point["pause_s"]
            if several:
                entry["shard"] = index
            series.append(entry)
    series.sort(key=lambda entry: entry["t"])
    series, dropped = _capped(series, dropped)
    last = logs[-1][1]
    return {
        "scope": SCOPE,
        "minimum": last.get("minimum"),
        "maximum": last.get("maximum"),
        "throttled": faults.get(THROTTLED, 0),
        "errors": sum(count for fault, count in faults.items() if fault != THROTTLED),
        "faults": dict(sorted(faults.items())),
        "series": series,
        "series_dropped": dropped,
    }
