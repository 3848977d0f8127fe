import pytest

from qa_app.models import QAPair
from tests.factories import CollectionFactory, QAPairFactory


@pytest.fixture
def approved_pair(db):
    """Make an approved pair (the FSM field may be set when the row is created)."""

    def make(**fields) -> QAPair:
        return QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED, **fields)

    return make


@pytest.fixture
def collection(db):
    return CollectionFactory(slug="maths", split_ratios={"train": 0.8, "validation": 0.1, "test": 0.1})


ALL_FORMATS = ["openai_chat", "alpaca", "sharegpt", "openai_chat_gz", "alpaca_gz", "sharegpt_gz", "parquet", "csv"]


@pytest.fixture
def varied_release(db, approved_pair, curator):
    """A release in every format of pairs that differ in every way an exporter cares about: system
    prompt or not, context or not, a template version or not, weights of 1 and not, awkward text,
    and all three splits."""
    from collections_app.models import Split
    from collections_app.services import collection_add_pairs, collection_release
    from tests.factories import TemplateVersionFactory

    version = TemplateVersionFactory()
    collection = CollectionFactory(slug="varied", name="Varied pairs", description="Pairs for the format tests.")

    def add(pair, split, weight=1.0):
        collection_add_pairs(collection=collection, pairs=[pair], split=split, weight=weight, acting_user=curator)

    add(
        approved_pair(question="What is 2+2?", answer="4", context="Sums.", metadata={"system_prompt": "Be brief."}),
        Split.TRAIN,
        2.5,
    )
    add(approved_pair(question="Plain?", answer="Plain."), Split.TRAIN)
    add(
        approved_pair(
            question='Quotes " and \\ and tab\t and newline\n?',
            answer="Unicode é 中文 🙂 \u2028 end",
            context="Line one\r\nline two, with, commas",
        ),
        Split.TRAIN,
        1e-05,
    )
    add(
        approved_pair(question="From a template?", answer="Yes.", template_version=version, quality_score=0.85),
        Split.VALIDATION,
    )
    add(approved_pair(question="Tested?", answer="Tested.", quality_score=0.31), Split.TEST, 0.5)
    return collection_release(collection=collection, acting_user=curator, formats=ALL_FORMATS)
