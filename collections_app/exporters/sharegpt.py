"""ShareGPT JSONL: one {"conversations": [{"from", "value"}, ...]} object per line.

Turns: a `system` turn with the pair's metadata `system_prompt` when it is set, a `human` turn
(the context, a blank line, then the question, as in openai_chat) and a `gpt` turn (the answer).
A membership weight other than 1 is written as a top-level `"weight"` after the conversation.
"""

import json
from collections.abc import Iterator

from .rows import release_rows, user_content

FORMAT = "sharegpt"
LABEL = "ShareGPT JSONL (conversations)"
EXTENSION = "jsonl"


def row(*, question: str, answer: str, context: str, system_prompt: str, weight: float = 1.0) -> bytes:
    turns = []
    if system_prompt:
        turns.append({"from": "system", "value": system_prompt})
    turns.append({"from": "human", "value": user_content(question, context)})
    turns.append({"from": "gpt", "value": answer})
    record = {"conversations": turns}
    if weight != 1:
        record["weight"] = weight
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def lines(release, split: str) -> Iterator[bytes]:
    for _pair_id, question, answer, context, system_prompt, weight, *_ in release_rows(release, split):
        yield row(question=question, answer=answer, context=context, system_prompt=system_prompt, weight=weight)
