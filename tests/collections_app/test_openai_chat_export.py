"""Both line sources of the OpenAI chat exporter write the same bytes."""

import pytest
from django.db import connection

from collections_app.exporters import openai_chat
from collections_app.models import Membership, Release, ReleaseItem
from collections_app.splits import assign_split, split_expression
from tests.factories import CollectionFactory, QAPairFactory

AWKWARD_TEXTS = [
    'quotes " and backslash \\ and slash /',
    "tab\tnewline\nreturn\r form\f bell\x07 unit\x1f delete\x7f",
    "unicode: é ß 中文 emoji 🙂 and a line separator \u2028",
    '{"looks": ["like", "json"]}',
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the jsonb line source exists on PostgreSQL only")
@pytest.mark.parametrize("text", AWKWARD_TEXTS)
@pytest.mark.parametrize("system_prompt", ["", "Be brief."])
@pytest.mark.parametrize("context", ["", "Some context."])
@pytest.mark.parametrize("weight", [1.0, 2.0])
def test_postgres_lines_equal_python_lines(text, system_prompt, context, weight, db):
    pair = QAPairFactory(
        question=f"Q {text}", answer=f"A {text}", context=context, metadata={"system_prompt": system_prompt}
    )
    collection = CollectionFactory()
    release = Release.objects.create(collection=collection, version=1, storage_path="unused")
    ReleaseItem.objects.create(
        release=release, qa_pair=pair, split="train", weight=weight, content_hash=pair.content_hash
    )

    from_postgres = b"".join(openai_chat.lines(release, "train"))

    expected = openai_chat.row(
        question=pair.question, answer=pair.answer, context=context, system_prompt=system_prompt, weight=weight
    )
    assert from_postgres == expected


# Whole numbers, the shortest-repr boundaries, tiny and huge values: float8's text and Python's repr differ
# in places (whole numbers, exponents), and the line must not.
WEIGHTS = [1.0, 2.0, 0.5, 0.1, 1 / 3, 2.5, 1e-05, 0.0001, 123456.789, 999999999999999.0, 1e16, 2.5e20, 1e-300]
# Where float8's text uses an exponent and Python's repr does not: such a split is written by Python.
WEIGHTS_PRINTED_OTHERWISE = [*WEIGHTS, 1e15, 9999999999999998.0, 1e15 + 0.125]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the jsonb line source exists on PostgreSQL only")
@pytest.mark.parametrize("weights", [WEIGHTS, WEIGHTS_PRINTED_OTHERWISE], ids=["float8-text", "python-twin"])
def test_postgres_weights_print_as_python_prints_them(weights, db):
    collection = CollectionFactory()
    release = Release.objects.create(collection=collection, version=1, storage_path="unused")
    pairs = QAPairFactory.create_batch(len(weights))
    for pair, weight in zip(pairs, weights, strict=True):
        ReleaseItem.objects.create(
            release=release, qa_pair=pair, split="train", weight=weight, content_hash=pair.content_hash
        )

    from_postgres = b"".join(openai_chat.lines(release, "train")).decode().split("\n")[:-1]

    expected = [
        openai_chat.row(question=pair.question, answer=pair.answer, context="", system_prompt="", weight=weight)
        .decode()
        .rstrip("\n")
        for pair, weight in zip(pairs, weights, strict=True)
    ]
    assert from_postgres == expected


def test_the_sql_split_expression_agrees_with_assign_split(db):
    ratios = {"train": 0.6, "validation": 0.15, "test": 0.25}
    collection = CollectionFactory(seed=12345, split_ratios=ratios)
    for pair in QAPairFactory.create_batch(300):
        Membership.objects.create(collection=collection, qa_pair=pair)

    in_sql = dict(
        Membership.objects.filter(collection=collection)
        .annotate(
            assigned=split_expression(
                seed=collection.seed, ratios=ratios, pair_id_field="qa_pair_id", explicit_split_field="split"
            )
        )
        .values_list("qa_pair_id", "assigned")
    )

    in_python = {pair_id: assign_split(seed=12345, pair_id=pair_id, ratios=ratios) for pair_id in in_sql}
    assert in_sql == in_python
    assert set(in_sql.values()) == {"train", "validation", "test"}
