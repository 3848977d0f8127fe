"""The QA pair changelist: full-text search in its search box and the queue's filters as list
filters, both applying qa_app's one definition (qa_app.selectors / qa_app.filters)."""

import pytest

from tests.factories import (
    ChapterFactory,
    PromptTemplateFactory,
    QAPairFactory,
    SubchapterFactory,
    TemplateVersionFactory,
)

CHANGELIST = "/admin/qa_app/qapair/"


def listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [pair.pk for pair in response.context["cl"].result_list]


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def test_the_search_box_finds_a_pair_by_a_word_in_its_context(reviewer_client):
    found = QAPairFactory(question="What is it?", answer="A bird.", context="Seen on the expedition.")
    QAPairFactory(question="What is 2 plus 3?", answer="5")

    assert listed(reviewer_client.get(CHANGELIST, {"q": "expedition"})) == [found.pk]


def test_the_search_box_lists_the_best_match_first(reviewer_client):
    in_context = QAPairFactory(question="What is this?", answer="A bird.", context="An albatross glides.")
    in_question = QAPairFactory(question="How far does an albatross fly?", answer="Far.")

    assert listed(reviewer_client.get(CHANGELIST, {"q": "albatross"})) == [in_question.pk, in_context.pk]


def test_the_search_box_keeps_a_chosen_sort_column(reviewer_client):
    low = QAPairFactory(answer="Albatross.", quality_score=0.1)
    high = QAPairFactory(question="How far does an albatross fly?", answer="Far.", quality_score=0.9)

    response = reviewer_client.get(CHANGELIST, {"q": "albatross", "o": "8"})  # quality_score ascending

    assert listed(response) == [low.pk, high.pk]


def test_an_over_long_search_shows_why_and_lists_nothing_filtered(reviewer_client):
    QAPairFactory()

    response = reviewer_client.get(CHANGELIST, {"q": "w" * 501}, follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["search has 501 characters; at most 500 are allowed."]


@pytest.fixture
def world(db):
    geography = ChapterFactory(key="geography", title="Geography")
    capitals = SubchapterFactory(chapter=geography, key="capitals", title="Capitals")
    version = TemplateVersionFactory(template=PromptTemplateFactory(chapter=geography, subchapter=capitals))
    match = QAPairFactory(
        template_version=version,
        tenant_id="globex",
        locale="fr",
        quality_score=0.9,
        flags=[{"code": "near_duplicate", "of": 1}, {"code": "pii_phone"}],
        scores={"llm_judge": {"score": 0.8}},
    )
    other = QAPairFactory(template_version=TemplateVersionFactory(), quality_score=0.2)
    return {"match": match, "other": other, "version": version}


@pytest.mark.parametrize(
    "params",
    [
        lambda w: {"chapter": w["version"].template.chapter_id},
        lambda w: {"subchapter": w["version"].template.subchapter_id},
        lambda w: {"template": w["version"].template_id},
        lambda w: {"template_version": w["version"].pk},
        lambda w: {"tenant_id": "globex"},
        lambda w: {"locale": "fr"},
        lambda w: {"quality_score_min": "0.5", "quality_score_max": "1"},
        lambda w: {"flag": "pii_phone"},
        lambda w: {"judge_score_min": "0.5"},
        lambda w: {"has_near_duplicate": "true"},
    ],
    ids=[
        "chapter",
        "subchapter",
        "template",
        "template_version",
        "tenant",
        "locale",
        "quality",
        "flag",
        "judge",
        "near_duplicate",
    ],
)
def test_each_queue_filter_narrows_the_changelist(reviewer_client, world, params):
    assert listed(reviewer_client.get(CHANGELIST, params(world))) == [world["match"].pk]


def test_the_job_filter_narrows_the_changelist(reviewer_client, approved_version, run_job):
    job = run_job(approved_version, record_count=2)
    QAPairFactory()

    assert sorted(listed(reviewer_client.get(CHANGELIST, {"job": job.pk}))) == sorted(
        job.qa_pairs.values_list("pk", flat=True)
    )


def test_a_bad_filter_value_shows_the_parameter_and_its_problem(reviewer_client, world):
    response = reviewer_client.get(CHANGELIST, {"judge_score_min": "high"}, follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["Filter not applied — judge_score_min: Enter a number."]


def test_the_changelist_shows_every_queue_filter(reviewer_client, world):
    response = reviewer_client.get(CHANGELIST)

    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert [str(title) for title in titles] == [
        "review status",
        "source",
        "is preview",
        "chapter",
        "subchapter",
        "template",
        "template version",
        "job",
        "import",
        "tenant",
        "locale",
        "quality score",
        "validation flag",
        "LLM judge score",
        "has near-duplicate",
    ]


def test_an_input_filter_keeps_the_other_parameters_when_submitted(reviewer_client, world):
    response = reviewer_client.get(CHANGELIST, {"flag": "pii_phone", "q": "what", "p": "2"})

    html = response.content.decode()
    assert '<input type="hidden" name="flag" value="pii_phone">' in html
    assert '<input type="hidden" name="q" value="what">' in html
    assert '<input type="hidden" name="p"' not in html


def test_the_filtered_and_searched_changelist_costs_a_fixed_number_of_queries(
    reviewer_client, world, django_assert_max_num_queries
):
    params = {
        "q": "question",
        "chapter": world["version"].template.chapter_id,
        "subchapter": world["version"].template.subchapter_id,
        "template": world["version"].template_id,
        "template_version": world["version"].pk,
        "tenant_id": "globex",
        "locale": "fr",
        "quality_score_min": "0.5",
        "flag": "pii_phone",
        "judge_score_min": "0.5",
        "has_near_duplicate": "true",
        "review_status__exact": "pending",
    }
    reviewer_client.get(CHANGELIST, params)
    QAPairFactory.create_batch(30, template_version=world["version"], tenant_id="globex", locale="fr")

    with django_assert_max_num_queries(16):
        assert listed(reviewer_client.get(CHANGELIST, params)) == [world["match"].pk]
