import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from collections_app.models import Collection
from qa_app.models import QAPair, RejectReason, ReviewDecision
from templates_app.models import Chapter, PromptTemplate, Subchapter, TemplateVersion

SUM_SCHEMA = {
    "type": "object",
    "required": ["question", "answer"],
    "properties": {"answer": {"type": "string", "pattern": "^[0-9]+$"}},
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter
        django_get_or_create = ["key"]

    key = "arithmetic"
    title = "Arithmetic"


class SubchapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subchapter
        django_get_or_create = ["chapter", "key"]

    chapter = factory.SubFactory(ChapterFactory)
    key = "addition"
    title = "Addition"


class PromptTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptTemplate

    key = factory.Sequence(lambda n: f"sums-{n}")
    name = "Sums"
    subchapter = factory.SubFactory(SubchapterFactory)
    chapter = factory.SelfAttribute("subchapter.chapter")


class TemplateVersionFactory(factory.django.DjangoModelFactory):
    """A draft whose answers are a planted ground truth: the sum of two sampled integers."""

    class Meta:
        model = TemplateVersion

    template = factory.SubFactory(PromptTemplateFactory)
    version = factory.Sequence(lambda n: n + 1)
    author = factory.SubFactory(UserFactory)
    system_prompt = "Answer with the number only."
    question_template = "What is {{ a }} plus {{ b }}?"
    answer_template = "{{ a + b }}"
    context_template = ""
    variables = factory.LazyFunction(
        lambda: {
            "a": {"sampler": "int_range", "min": 1, "max": 10_000},
            "b": {"sampler": "int_range", "min": 1, "max": 10_000},
        }
    )
    output_schema = factory.LazyFunction(lambda: dict(SUM_SCHEMA))
    exemplars = factory.LazyFunction(lambda: [{"a": 1, "b": 2}])


class QAPairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QAPair

    question = factory.Sequence(lambda n: f"What is question number {n}?")
    answer = factory.Sequence(lambda n: f"It is answer {n}.")
    context = ""
    tenant_id = "acme"
    source = QAPair.Source.OPERATOR


class TwoReviewerPairFactory(QAPairFactory):
    """A pending pair that needs two agreeing decisions (blind)."""

    decisions_needed = 2


class RejectReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RejectReason
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"reason-{n}")
    label = factory.Sequence(lambda n: f"Reason {n}")


class ReviewDecisionFactory(factory.django.DjangoModelFactory):
    """A decision row as written by the services (for agreement figures without the whole flow)."""

    class Meta:
        model = ReviewDecision

    pair = factory.SubFactory(TwoReviewerPairFactory)
    reviewer = factory.SubFactory(UserFactory)
    decision = ReviewDecision.Decision.APPROVE
    round = 1
    decided_at = factory.LazyFunction(timezone.now)


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collection

    slug = factory.Sequence(lambda n: f"collection-{n}")
    name = factory.Sequence(lambda n: f"Collection {n}")
    seed = 7
    tenant_id = "acme"


def collection_admin_form(collection, **overrides) -> dict:
    """What the admin's change page of `collection` posts when nothing is changed, with `overrides`."""
    form = {
        "slug": collection.slug,
        "name": collection.name,
        "purpose": collection.purpose,
        "allowed_sources": '["operator", "imported", "synthetic"]',
        "split_ratios": '{"train": 0.8, "validation": 0.1, "test": 0.1}',
        "seed": str(collection.seed),
        "tenant_id": collection.tenant_id,
        "reason": "",
        "releases-TOTAL_FORMS": "0",
        "releases-INITIAL_FORMS": "0",
    }
    return {**form, **overrides}
