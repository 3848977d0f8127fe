"""OpenAI chat fine-tuning JSONL: one {"messages": [...]} object per line."""

import json

FORMAT = "openai_chat"
EXTENSION = "jsonl"


def user_content(question: str, context: str) -> str:
    return f"{context}\n\n{question}" if context else question


def row(*, question: str, answer: str, context: str, system_prompt: str) -> bytes:
    messages = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": user_content(question, context)})
    messages.append({"role": "assistant", "content": answer})
    return (json.dumps({"messages": messages}, ensure_ascii=False) + "\n").encode()
