import pytest

from qa_app.models import QAPair
from tests.factories import QAPairFactory


@pytest.fixture
def pending_pair(db):
    return QAPairFactory(question="What is 2 plus 3?", answer="5")


@pytest.fixture
def approved_pair(db, reviewer):
    return QAPairFactory(
        question="What is 4 plus 4?", answer="8", review_status=QAPair.ReviewStatus.APPROVED, reviewed_by=reviewer
    )


@pytest.fixture
def rejected_pair(db, reviewer):
    return QAPairFactory(
        question="What is 1 plus 1?",
        answer="3",
        review_status=QAPair.ReviewStatus.REJECTED,
        reviewed_by=reviewer,
        review_reason="wrong sum",
    )


@pytest.fixture
def stored_pair():
    """The pair's row as the database holds it, to show that a refusal changed nothing."""

    def read(pair):
        return QAPair.objects.values().get(pk=pair.pk)

    return read
