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
