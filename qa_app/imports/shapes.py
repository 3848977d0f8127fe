"""What a record of an import file holds, by shape, as a pair's question, answer and context.

- chat (OpenAI fine-tuning `messages`): the last user message is the question and the assistant
  message after it the answer; a system message becomes `metadata.system_prompt` (what the
  openai_chat exporter writes back as the system message); earlier turns are kept whole in
  `metadata.turns`.
- sharegpt (`conversations` of `{from, value}`): read as chat (`human`/`user`, `gpt`/`assistant`,
  `system`).
- alpaca (`instruction`, `input`, `output`): instruction is the question, input the context,
  output the answer.
- plain (`question`, `answer`, `context`).
- mapping: `{"question": "<field>", "answer": "<field>", "context": "<field>"}` names the fields
  of any other record (context optional).

Every field a shape does not use goes to the pair's metadata. A record that does not fit its shape
raises `LineProblem` with the reason a curator reads in the line errors.
"""

import json
from dataclasses import dataclass, field

from synthgov.text_limits import without_nul

SHAPES = ("chat", "alpaca", "sharegpt", "plain", "mapping")
MAPPED_FIELDS = ("question", "answer", "context")
USER_ROLES = {"user", "human"}
ASSISTANT_ROLES = {"assistant", "gpt", "bot", "chatgpt", "model"}
SYSTEM_ROLES = {"system"}


class LineProblem(Exception):
    """The record cannot make a pair; the message is the line error's reason."""


@dataclass
class Content:
    question: str
    answer: str
    context: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def record(self) -> dict:
        return {"question": self.question, "answer": self.answer, "context": self.context}


def detect_shape(records: list[dict]) -> str | None:
    """The shape most of the first records have, or None when none fits."""
    votes: dict[str, int] = {}
    for record in records:
        shape = _shape_of(record)
        if shape:
            votes[shape] = votes.get(shape, 0) + 1
    return max(votes, key=votes.get) if votes else None


def _shape_of(record: dict) -> str | None:
    if isinstance(record.get("messages"), list):
        return "chat"
    if isinstance(record.get("conversations"), list):
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "question" in record and "answer" in record:
        return "plain"
    return None


def check_mapping(mapping: dict) -> str | None:
    """Why a column mapping cannot be used, or None."""
    if not isinstance(mapping, dict) or not mapping:
        return 'A mapping is a JSON object such as {"question": "prompt", "answer": "completion"}.'
    unknown = sorted(set(mapping) - set(MAPPED_FIELDS))
    if unknown:
        return f"A mapping names question, answer and context; {', '.join(unknown)} is not one of them."
    missing = [name for name in ("question", "answer") if name not in mapping]
    if missing:
        return f"A mapping must name the field of the {' and the '.join(missing)}."
    if not all(isinstance(value, str) and value for value in mapping.values()):
        return "Each field a mapping names must be a non-empty string."
    return None


def to_content(record: dict, *, shape: str, mapping: dict | None = None) -> Content:
    if shape in ("chat", "sharegpt"):
        return _conversation(record, shape)
    if shape == "alpaca":
        return _fields(record, {"question": "instruction", "answer": "output", "context": "input"})
    if shape == "plain":
        return _fields(record, {"question": "question", "answer": "answer", "context": "context"})
    return _fields(record, mapping or {})


def _text(record: dict, name: str, *, required: bool) -> str:
    value = record.get(name)
    if value is None:
        if required:
            raise LineProblem(f"missing field '{name}'")
        return ""
    if not isinstance(value, str):
        raise LineProblem(f"field '{name}' must be text, not {_type_name(value)}")
    return value


def _type_name(value) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _fields(record: dict, names: dict) -> Content:
    content = Content(
        question=_text(record, names["question"], required=True),
        answer=_text(record, names["answer"], required=True),
        context=_text(record, names["context"], required=False) if names.get("context") else "",
    )
    content.metadata = _extras(record, used=set(names.values()))
    return content


def _conversation(record: dict, shape: str) -> Content:
    key, role_key, text_key = ("messages", "role", "content") if shape == "chat" else ("conversations", "from", "value")
    turns = record.get(key)
    if not isinstance(turns, list) or not turns:
        raise LineProblem(f"missing or empty '{key}' list")
    roles = []
    for position, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get(text_key), str):
            raise LineProblem(f"{key}[{position}] must be an object with a text '{text_key}'")
        roles.append(str(turn.get(role_key, "")).lower())
    answer_at = max((i for i, role in enumerate(roles) if role in ASSISTANT_ROLES), default=None)
    question_at = max(
        (i for i, role in enumerate(roles) if role in USER_ROLES and (answer_at is None or i < answer_at)),
        default=None,
    )
    if answer_at is None or question_at is None:
        raise LineProblem(f"'{key}' needs a user message followed by an assistant message")
    metadata = _extras(record, used={key})
    system = [turn[text_key] for turn, role in zip(turns, roles, strict=True) if role in SYSTEM_ROLES]
    if system:
        metadata["system_prompt"] = "\n\n".join(system)
    earlier = [
        {"role": role, "content": turn[text_key]}
        for turn, role in zip(turns[:question_at], roles[:question_at], strict=True)
        if role not in SYSTEM_ROLES
    ]
    if earlier:
        metadata["turns"] = earlier
    return Content(question=turns[question_at][text_key], answer=turns[answer_at][text_key], metadata=metadata)


def _extras(record: dict, *, used: set) -> dict:
    """The record's other fields, as JSON values (a Parquet timestamp becomes text), without NUL."""
    extras = {name: value for name, value in record.items() if name not in used}
    return without_nul(json.loads(json.dumps(extras, default=str))) if extras else {}
