"""One measured figure, its reference, and how the two are printed and saved."""

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Result:
    scenario: str
    n: int
    metric: str
    unit: str
    value: float | None
    reference: str = ""
    reference_value: float | None = None
    target: str = ""
    target_value: float | None = None
    # "ratio_at_least" / "ratio_at_most": value / reference_value against target_value;
    # "at_least" / "at_most": value vs target_value.
    target_kind: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.reference_value:
            return None
        return self.value / self.reference_value

    @property
    def meets_target(self) -> bool | None:
        if self.value is None or self.target_value is None:
            return None
        if self.target_kind == "ratio_at_least":
            return self.ratio is not None and self.ratio >= self.target_value
        if self.target_kind == "ratio_at_most":
            return self.ratio is not None and self.ratio <= self.target_value
        if self.target_kind == "at_least":
            return self.value >= self.target_value
        if self.target_kind == "at_most":
            return self.value <= self.target_value
        return None

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("target_kind")
        data.pop("target_value")
        return {**data, "ratio": self.ratio, "meets_target": self.meets_target}


def _format_number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(results: list[Result]) -> str:
    headings = ["scenario", "n", "metric", "value", "reference", "ref value", "ratio", "target", "ok"]
    rows = []
    for result in results:
        ok = {True: "yes", False: "NO", None: ""}[result.meets_target]
        rows.append(
            [
                result.scenario,
                f"{result.n:,}",
                f"{result.metric} ({result.unit})",
                _format_number(result.value) if result.value is not None else f"skipped: {result.note}",
                result.reference,
                _format_number(result.reference_value),
                f"{result.ratio:.3f}" if result.ratio is not None else "—",
                result.target,
                ok,
            ]
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=False)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(headings, widths, strict=True))]
    lines.append("-+-".join("-" * width for width in widths))
    lines += [" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def machine(database_version: str) -> dict:
    cpu_model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": database_version,
        "commit": commit.stdout.strip(),
    }


def write_json(path: Path, results: list[Result], machine_info: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = [{**result.as_dict(), "machine": machine_info} for result in results]
    path.write_text(json.dumps(payload, indent=2) + "\n")
