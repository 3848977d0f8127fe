"""The dataset card (README.md) of a release folder, made from its manifest alone.

The YAML header lists one `datasets` config per format (`data_files` per split; the first format is
the default config), so `datasets.load_dataset(<folder>)` and `load_dataset(<folder>, "<format>")`
load the folder offline. `datasets` reads a folder with a single builder, inferred from the first
config's files, so the configs are the formats that builder reads (the JSONL formats, gzip or not,
when the first is JSONL); every format's own folder `<folder>/<format>` loads by itself as well
(split names in the file names). The card leaves out the manifest's time, author and duration, which live
in manifest.json only: the same release gives the same card bytes on every export.
"""

import yaml

from .exporters import EXPORTERS

KNOWN_LIMITS = [
    "Pairs are synthetic or curated question/answer pairs; a quality score is a heuristic, not a human grade.",
    "Splits are fixed per pair (explicit, or by a seeded hash of the pair id); near-duplicates across "
    "splits are caught only as far as the release guards report below.",
    "A weight other than 1 is the curator's sampling weight; training code must apply it.",
    "Alpaca files carry no system prompt (the format has no place for it); the other formats do.",
]


def _builder(format_key: str) -> str:
    exporter = EXPORTERS.get(format_key)
    return exporter.builder if exporter else ""


def _configs(files: list[dict]) -> list[dict]:
    """One config per format read by the same `datasets` builder as the first format: `datasets` picks
    one builder for a folder, from its first config. Each format's own folder loads on its own too."""
    configs: dict[str, dict] = {}
    builder = _builder(files[0]["format"]) if files else ""
    for entry in files:
        if _builder(entry["format"]) != builder:
            continue
        config = configs.setdefault(entry["format"], {"config_name": entry["format"], "data_files": []})
        config["data_files"].append({"split": entry["split"], "path": entry["name"]})
    listed = list(configs.values())
    if listed:
        listed[0]["default"] = True
    return listed


def _dataset_info(configs: list[dict]) -> list[dict]:
    """Column types of the table formats' configs: a CSV file has none, and pandas would guess per file."""
    infos = []
    for config in configs:
        features = EXPORTERS[config["config_name"]].features
        if features:
            infos.append(
                {
                    "config_name": config["config_name"],
                    "features": [{"name": name, "dtype": dtype} for name, dtype in features.items()],
                }
            )
    return infos


def _options(format_key: str) -> str:
    return ', data_files="train.csv"' if format_key == "csv" else ""


def _table(headings: list[str], rows) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _counts(title: str, counts: dict, what: str) -> list[str]:
    if not counts:
        return [f"### {title}", "", "None.", ""]
    return [f"### {title}", "", *_table([what, "pairs"], counts.items()), ""]


def render_card(manifest: dict, files: list[dict] | None = None) -> str:
    """The card's text. `files` are the data files it describes (default: the manifest's data files)."""
    if files is None:
        files = [entry for entry in manifest.get("files", []) if entry.get("format")]
    configs = _configs(files)
    metadata = {"configs": configs}
    if infos := _dataset_info(configs):
        metadata["dataset_info"] = infos
    header = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    name = manifest.get("collection_name") or manifest["collection"]
    records = manifest.get("records", {})
    software = manifest.get("software", {})
    lines = [
        "---",
        header.rstrip("\n"),
        "---",
        "",
        f"# {name} — release v{manifest['release']}",
        "",
        f"Collection `{manifest['collection']}` ({manifest.get('purpose', 'training')}), "
        f"release {manifest['release']}.",
        "",
        "## Purpose",
        "",
        manifest.get("description") or "No description was given for this collection.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'dataset = load_dataset("path/to/this/folder")  # the default config, {files[0]["format"] if files else "-"}',
        *(f'dataset = load_dataset("path/to/this/folder", "{config["config_name"]}")' for config in configs),
        *(
            f'dataset = load_dataset("path/to/this/folder/{key}"{_options(key)})  # {EXPORTERS[key].builder} files'
            for key in dict.fromkeys(e["format"] for e in files)
            if key in EXPORTERS and key not in {config["config_name"] for config in configs}
        ),
        "```",
        "",
        *(
            [
                "A CSV file has no column types: loaded on its own, pandas guesses them per file, and splits "
                "whose guesses differ (an empty template column reads as numbers) do not load together; load one "
                "split at a time, or a release led by csv, whose config carries the types listed under Columns.",
                "",
            ]
            if "csv" in {e["format"] for e in files} and "csv" not in {config["config_name"] for config in configs}
            else []
        ),
        "`datasets` reads one folder with one builder (JSON, Parquet or CSV), so the configs above are the "
        "formats of the first one's kind; every format's folder (`<format>/<split>.<extension>`) also loads "
        "on its own.",
        "",
        "## Files",
        "",
        *_table(
            ["file", "format", "split", "rows", "bytes", "sha256"],
            (
                (
                    f"`{e['name']}`",
                    EXPORTERS[e["format"]].label if e["format"] in EXPORTERS else e["format"],
                    e["split"],
                    e["rows"],
                    e["bytes"],
                    f"`{e['sha256']}`",
                )
                for e in files
            ),
        ),
        "",
        *_columns(files),
        "## Counts",
        "",
        f"{records.get('out', manifest.get('rows', 0))} pairs released of {records.get('in', '?')} members.",
        "",
        *_counts("Per split", manifest.get("splits", {}), "split"),
        *_counts("Per chapter", manifest.get("chapters", {}), "chapter"),
        *_counts("Per source", manifest.get("lineage", {}).get("sources", {}), "source"),
        "## Template versions",
        "",
    ]
    versions = manifest.get("template_versions", [])
    if versions:
        lines += _table(
            ["template", "version", "content sha256", "pairs"],
            ((v["template"], v["version"], f"`{v['content_sha256']}`", v["pairs"]) for v in versions),
        )
    else:
        lines.append("No pair was generated from a template.")
    lines += ["", "## Quality scores", ""]
    quality = manifest.get("quality_scores", {})
    lines += _table(["score", "pairs"], quality.items()) if quality else ["No scores."]
    lines += ["", "## Left out", ""]
    left_out = manifest.get("left_out", {})
    lines += _table(["reason", "pairs"], sorted(left_out.items())) if left_out else ["Every member was released."]
    lines += ["", "## Guards", ""]
    guards = manifest.get("guards", {})
    lines += (
        _table(["guard", "result"], ((key, _compact(value)) for key, value in sorted(guards.items())))
        if guards
        else ["No release guards reported."]
    )
    lines += [
        "",
        "## Known limits",
        "",
        *(f"- {limit}" for limit in KNOWN_LIMITS),
        "",
        "## Receipts",
        "",
        f"- software: {software.get('package', 'synthgov')} {software.get('version', 'unknown')}"
        + (f", commit `{software['commit']}`" if software.get("commit") else ", commit unknown"),
        f"- collection state sha256: `{manifest.get('state_sha256', 'unknown')}` (members, splits, weights, "
        "content hashes)",
        "- the time, author and duration of the release are in `manifest.json`, with every file's checksum",
        "",
    ]
    return "\n".join(lines)


def _columns(files: list[dict]) -> list[str]:
    tables = [key for key in dict.fromkeys(e["format"] for e in files) if key in EXPORTERS and EXPORTERS[key].features]
    if not tables:
        return []
    features = EXPORTERS[tables[0]].features
    return [
        "## Columns",
        "",
        f"Of {', '.join(tables)}:",
        "",
        *_table(["column", "type"], ((f"`{name}`", dtype) for name, dtype in features.items())),
        "",
    ]


def _compact(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_compact(item)}" for key, item in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(_compact(item) for item in value) or "—"
    return str(value).replace("|", "\\|").replace("\n", " ")
