"""Checking an import's lines, batch by batch: all of a line's assessment that needs no database.

A line becomes its content in the run's shape (or a line error: unreadable, wrong shape, empty or
over-long field, NUL), its chapter, its content hash, its locale (the run's, or detected) and its
PII and locale flags. What needs the database (the taxonomy's keys, duplicates among stored
pairs, near duplicates in the tenant's index, the quality score that depends on them) is left to
the import's writing (`qa_app.services.import_batches`), which runs no check of its own text.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.conf import settings

from ..assessment import content_flags
from ..assessment.completeness import content_reasons
from ..assessment.language import detect_language
from ..models import ImportRun, normalised_content_hash
from .readers import Line, read_lines
from .shapes import Content, LineProblem, to_content

UNKNOWN_LOCALE = "und"


@dataclass
class CheckedLine:
    """A line with its checks: either `problem` (a line error) or the rest."""

    line: Line
    problem: str = ""
    content: Content | None = None
    # (chapter, subchapter): the line's chapter field's, else the run's.
    taxonomy: tuple[str, str] = ("", "")
    content_hash: str = ""
    locale: str = ""
    flags: list[dict] = field(default_factory=list)


def checked_batches(run: ImportRun, *, batch_lines: int) -> Iterator[list[CheckedLine]]:
    """The run's file from the line after its last committed one, in checked batches of `batch_lines`."""
    lines = read_lines(Path(run.file_path), run.file_format, start=run.lines_done)
    while batch := list(islice(lines, batch_lines)):
        yield [checked_line(run, line) for line in batch]


def checked_line(run: ImportRun, line: Line) -> CheckedLine:
    if line.record is None:
        return CheckedLine(line=line, problem=line.problem)
    try:
        content = to_content(line.record, shape=run.shape, mapping=run.mapping)
    except LineProblem as problem:
        return CheckedLine(line=line, problem=str(problem))
    reasons = content_reasons(content.record, min_answer_chars=settings.SYNTHGOV_MIN_ANSWER_CHARS)
    if reasons:
        return CheckedLine(line=line, problem="; ".join(reason["message"] for reason in reasons))
    locale = run.locale or _detected_locale(content.record)
    return CheckedLine(
        line=line,
        content=content,
        taxonomy=_line_taxonomy(run, content),
        content_hash=normalised_content_hash(content.question, content.answer, content.context),
        locale=locale,
        flags=content_flags(content.record, locale=locale, locale_detected=not run.locale),
    )


def _detected_locale(record: dict) -> str:
    language, confidence = detect_language(f"{record['question']}\n{record['answer']}")
    return language if confidence >= settings.SYNTHGOV_LOCALE_MIN_CONFIDENCE else UNKNOWN_LOCALE


def _line_taxonomy(run: ImportRun, content: Content) -> tuple[str, str]:
    """(chapter, subchapter) of a line: its chapter field's value ("chapter" or "chapter/subchapter",
    taken out of the metadata) when the run names one and the line has it, else the run's."""
    if run.chapter_field:
        value = content.metadata.pop(run.chapter_field, None)
        if value not in (None, ""):
            chapter, _, subchapter = str(value).strip().partition("/")
            return chapter, subchapter
    return run.chapter_key, run.subchapter_key
