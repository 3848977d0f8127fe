"""Alpaca JSONL: one {"instruction", "input", "output"} object per line.

How a pair maps: `instruction` is the question, `input` the context ("" when the pair has none),
`output` the answer. Alpaca has no system turn, so a system prompt in the pair's metadata is not
written (use openai_chat or sharegpt to keep it). A membership weight other than 1 is written as
a top-level `"weight"` after the three fields, as in openai_chat.
"""

import json
from collections.abc import Iterator

from .rows import release_rows

FORMAT = "alpaca"
LABEL = "Alpaca JSONL (instruction, input, output)"
EXTENSION = "jsonl"


def row(*, question: str, answer: str, context: str, weight: float = 1.0) -> bytes:
    record = {"instruction": question, "input": context, "output": answer}
    if weight != 1:
        record["weight"] = weight
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def lines(release, split: str) -> Iterator[bytes]:
    for _pair_id, question, answer, context, _system_prompt, weight, *_ in release_rows(release, split):
        yield row(question=question, answer=answer, context=context, weight=weight)
