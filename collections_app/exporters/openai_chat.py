"""OpenAI chat fine-tuning JSONL: one {"messages": [...]} object per line.

The system prompt (the pair's metadata `system_prompt`) opens the messages when it is set; the
user turn is the context, a blank line and the question; the assistant turn is the answer. A
membership weight other than 1 is written as a top-level `"weight"` after the messages.

Two line sources with the same bytes: Python's json (any database) and, on PostgreSQL, lines
built by the server and streamed through COPY TO, several times faster at scale.
tests/collections_app/test_openai_chat_export.py holds the two to each other.
"""

import json
from collections.abc import Iterator

from django.db import connection
from psycopg import sql

from collections_app.models import ReleaseItem

from .rows import release_rows, user_content

FORMAT = "openai_chat"
LABEL = "OpenAI chat JSONL (messages)"
EXTENSION = "jsonl"
FLOAT8_EXPONENT_FROM = 1e15
PYTHON_EXPONENT_FROM = 1e16

# A column and quote character no JSON text can contain raw, so CSV output is the bare line.
_COPY_OPTIONS = "FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02'"
# to_json() escapes a string exactly as json.dumps(ensure_ascii=False) does; the structure
# around it is fixed text, cheaper to concatenate than to build and print a jsonb value.
# A weight prints as Python's repr(float) does: float8's shortest text, with ".0" after whole
# numbers. The two agree everywhere except between 1e15 and 1e16 (float8 text switches to
# exponents there, Python at 1e16); a split with such a weight is written by the Python twin.
_POSTGRES_LINES = """
SELECT '{{"messages": ['
       || CASE WHEN coalesce(p.metadata->>'system_prompt', '') <> ''
               THEN '{{"role": "system", "content": ' || to_json(p.metadata->>'system_prompt')::text || '}}, '
               ELSE '' END
       || '{{"role": "user", "content": '
       || to_json(CASE WHEN p.context <> '' THEN p.context || E'\\n\\n' || p.question ELSE p.question END)::text
       || '}}, {{"role": "assistant", "content": ' || to_json(p.answer)::text || '}}]'
       || CASE WHEN i.weight = 1 THEN ''
               WHEN i.weight = trunc(i.weight) AND abs(i.weight) < 1e15
               THEN ', "weight": ' || i.weight::bigint::text || '.0'
               ELSE ', "weight": ' || i.weight::text END
       || '}}'
FROM collections_app_releaseitem i JOIN qa_app_qapair p ON p.id = i.qa_pair_id
WHERE i.release_id = {release_id} AND i.split = {split}
ORDER BY i.qa_pair_id
"""


def row(*, question: str, answer: str, context: str, system_prompt: str, weight: float = 1.0) -> bytes:
    messages = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": user_content(question, context)})
    messages.append({"role": "assistant", "content": answer})
    record = {"messages": messages}
    if weight != 1:
        record["weight"] = weight
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def lines(release, split: str) -> Iterator[bytes]:
    """The bytes of one split's file, in chunks, streamed with constant memory."""
    if connection.vendor == "postgresql" and not _weights_float8_prints_otherwise(release, split):
        yield from _postgres_lines(release.pk, split)
        return
    for _pair_id, question, answer, context, system_prompt, weight, *_ in release_rows(release, split):
        yield row(question=question, answer=answer, context=context, system_prompt=system_prompt, weight=weight)


def _weights_float8_prints_otherwise(release, split: str) -> bool:
    return ReleaseItem.objects.filter(
        release=release, split=split, weight__gte=FLOAT8_EXPONENT_FROM, weight__lt=PYTHON_EXPONENT_FROM
    ).exists()


def _postgres_lines(release_id: int, split: str) -> Iterator[bytes]:
    query = sql.SQL(_POSTGRES_LINES).format(release_id=sql.Literal(release_id), split=sql.Literal(split))
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(sql.SQL("COPY ({}) TO STDOUT WITH ({})").format(query, sql.SQL(_COPY_OPTIONS))) as copy:
            for chunk in copy:
                yield bytes(chunk)
