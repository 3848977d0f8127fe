"""What each exporter should write for a release, built from the pairs themselves (not the exporters)."""

from collections_app.models import ReleaseItem


def released_pairs(release, split: str) -> list[tuple]:
    """(pair, weight) of the split, in pair id order, from the frozen items."""
    items = ReleaseItem.objects.filter(release=release, split=split).select_related(
        "qa_pair__template_version__template"
    )
    return [(item.qa_pair, item.weight) for item in items.order_by("qa_pair_id")]


def user_turn(pair) -> str:
    return f"{pair.context}\n\n{pair.question}" if pair.context else pair.question


def system_prompt(pair) -> str:
    return (pair.metadata or {}).get("system_prompt", "")


def with_weight(record: dict, weight: float) -> dict:
    return {**record, "weight": weight} if weight != 1 else record


def openai_chat(pair, weight) -> dict:
    messages = [{"role": "system", "content": system_prompt(pair)}] if system_prompt(pair) else []
    messages += [{"role": "user", "content": user_turn(pair)}, {"role": "assistant", "content": pair.answer}]
    return with_weight({"messages": messages}, weight)


def alpaca(pair, weight) -> dict:
    return with_weight({"instruction": pair.question, "input": pair.context, "output": pair.answer}, weight)


def sharegpt(pair, weight) -> dict:
    turns = [{"from": "system", "value": system_prompt(pair)}] if system_prompt(pair) else []
    turns += [{"from": "human", "value": user_turn(pair)}, {"from": "gpt", "value": pair.answer}]
    return with_weight({"conversations": turns}, weight)


def table_row(pair, weight, split: str) -> dict:
    version = pair.template_version
    return {
        "pair_id": pair.pk,
        "split": split,
        "question": pair.question,
        "answer": pair.answer,
        "context": pair.context,
        "system_prompt": system_prompt(pair),
        "weight": weight,
        "source": pair.source,
        "template": version.template.key if version else None,
        "template_version": version.version if version else None,
        "template_sha256": version.content_sha256 if version else None,
        "content_hash": pair.content_hash,
    }
