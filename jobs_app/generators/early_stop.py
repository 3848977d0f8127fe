"""Stop a job early when the last N records of a shard were mostly rejected, or mostly met server faults.

A profile's early_stop_window, early_stop_rejection_rate and early_stop_error_rate set the rule.
The window holds the outcomes of the last N records this shard run processed (a resumed shard
starts an empty window); no verdict is given before it is full. Checked after every committed
batch, so every record processed before the stop is stored once, and at most one batch (a few
rounds of requests) is spent after the rate passed the threshold.

- rejected: the record became a rejected artifact (malformed reply, schema, completeness, PII...);
  duplicates are not rejections.
- error: the record's request met a 5xx, a 408, a timeout or a failed connection, even if a retry
  then got a reply. A 429 is no error here: the adaptive concurrency answers it.
"""

from collections import Counter, deque
from dataclasses import dataclass

EARLY_STOP_REJECTED = (
    "Early stop: {count} of the last {window} records were rejected ({rate:.0%}, above the early_stop_rejection_rate "
    "{limit:.0%} of profile {profile!r}); most common reasons: {reasons}"
)
EARLY_STOP_ERRORS = (
    "Early stop: {count} of the last {window} records met a server error or timeout ({rate:.0%}, above the "
    "early_stop_error_rate {limit:.0%} of profile {profile!r}); most common: {reasons}"
)
# Faults that count as errors: everything retried but throttling.
NOT_AN_ERROR = {"HTTP 429", "HTTP 409"}
LISTED_REASONS = 3


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """One processed record, as the early stop sees it: its rejection reason codes (empty when it was
    accepted or a duplicate) and the faults its request met."""

    rejected: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(fault for fault in self.faults if fault not in NOT_AN_ERROR)


@dataclass(frozen=True)
class EarlyStopRule:
    profile: str
    window: int
    rejection_rate: float | None
    error_rate: float | None

    @classmethod
    def from_profile(cls, profile) -> "EarlyStopRule | None":
        if profile.early_stop_rejection_rate is None and profile.early_stop_error_rate is None:
            return None
        return cls(
            profile.name, profile.early_stop_window, profile.early_stop_rejection_rate, profile.early_stop_error_rate
        )


class EarlyStopWindow:
    def __init__(self, rule: EarlyStopRule):
        self.rule = rule
        self.records: deque[RecordOutcome] = deque(maxlen=rule.window)

    def observe(self, records: list[RecordOutcome]) -> str:
        """Add a batch's records; returns why the job must stop, or "" while it may go on."""
        self.records.extend(records)
        if len(self.records) < self.rule.window:
            return ""
        rule = self.rule
        rejected = [record.rejected for record in self.records if record.rejected]
        if rule.rejection_rate is not None and len(rejected) / rule.window > rule.rejection_rate:
            reasons = Counter(code for codes in rejected for code in dict.fromkeys(codes))
            return self._message(EARLY_STOP_REJECTED, len(rejected), rule.rejection_rate, reasons)
        errors = [record.errors for record in self.records if record.errors]
        if rule.error_rate is not None and len(errors) / rule.window > rule.error_rate:
            reasons = Counter(fault for faults in errors for fault in dict.fromkeys(faults))
            return self._message(EARLY_STOP_ERRORS, len(errors), rule.error_rate, reasons)
        return ""

    def _message(self, template: str, count: int, limit: float, reasons: Counter) -> str:
        listed = ", ".join(f"{reason} ({n})" for reason, n in reasons.most_common(LISTED_REASONS))
        window = self.rule.window
        return template.format(
            count=count, window=window, rate=count / window, limit=limit, profile=self.rule.profile, reasons=listed
        )
