"""qa-pairs list: the `search` parameter and the queue's filters (qa_app.filters, shared with the admin)."""

import pytest
from django.core.management import call_command

from qa_app.models import QAPair
from tests.factories import QAPairFactory

PAIRS = "/api/v1/qa-pairs/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_search_lists_the_pairs_with_the_word_in_their_answer(api, reviewer):
    found = QAPairFactory(question="Where do penguins live?", answer="On southern glaciers.")
    QAPairFactory(question="What is 2 plus 3?", answer="5")

    assert ids(api(reviewer).get(PAIRS, {"search": "glaciers"})) == [found.pk]


def test_search_combines_with_the_other_filters(api, reviewer):
    QAPairFactory(answer="Glaciers move.", tenant_id="acme")
    globex = QAPairFactory(answer="Glaciers melt.", tenant_id="globex")

    assert ids(api(reviewer).get(PAIRS, {"search": "glaciers", "tenant_id": "globex"})) == [globex.pk]


def test_search_results_page_by_id_like_the_list(api, reviewer):
    pairs = [QAPairFactory(answer=f"Glacier number {number}.") for number in range(3)]
    client = api(reviewer)

    first = client.get(PAIRS, {"search": "glacier", "page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [pair.pk for pair in pairs]


def test_the_judge_score_and_flag_filters_reach_the_api(api, reviewer):
    wanted = QAPairFactory(flags=[{"code": "near_duplicate", "of": 1}], scores={"llm_judge": {"score": 0.7}})
    QAPairFactory(flags=[{"code": "near_duplicate", "of": 1}], scores={"llm_judge": {"score": 0.2}})
    QAPairFactory(scores={"llm_judge": {"score": 0.9}})

    response = api(reviewer).get(PAIRS, {"has_near_duplicate": "true", "judge_score_min": "0.5"})

    assert ids(response) == [wanted.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"quality_score_min": "high"}, "quality_score_min"),
        ({"judge_score_min": "abc"}, "judge_score_min"),
        ({"flag": "not_a_flag"}, "flag"),
        ({"has_near_duplicate": "maybe"}, "has_near_duplicate"),
        ({"flagged": "yes"}, "flagged"),
        ({"chapter": "999999"}, "chapter"),
        ({"template": "x"}, "template"),
        ({"quality_score_min": "0.9", "quality_score_max": "0.1"}, "quality_score_min"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else value,
)
def test_a_bad_filter_value_answers_400_naming_the_parameter(api, reviewer, params, field):
    response = api(reviewer).get(PAIRS, params)

    assert response.status_code == 400
    assert field in response.json()


def test_an_over_long_search_answers_400_naming_search(api, reviewer):
    response = api(reviewer).get(PAIRS, {"search": "glacier " * 100})

    assert response.status_code == 400
    assert response.json()["search"] == ["Ensure this value has at most 500 characters (it has 799)."]


def test_a_nul_in_the_search_answers_400_naming_search(api, reviewer):
    response = api(reviewer).get(PAIRS, {"search": "gla\x00cier"})

    assert response.status_code == 400
    assert response.json()["search"] == ["Null characters are not allowed."]


def test_search_syntax_that_postgresql_could_misread_answers_200(api, reviewer):
    QAPairFactory(answer="Glaciers move.")

    for text in ['"', "-", "or", "!!&|:*()", "glacier:*", "'glacier'", "\\", "a " * 200]:
        assert api(reviewer).get(PAIRS, {"search": text}).status_code == 200, text


def test_the_search_and_filter_parameters_are_in_the_openapi_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    parameters = {parameter["name"] for parameter in schema["paths"][PAIRS]["get"]["parameters"]}

    assert {
        "search",
        "chapter",
        "subchapter",
        "template",
        "template_version",
        "job",
        "source",
        "tenant_id",
        "locale",
        "quality_score_min",
        "quality_score_max",
        "judge_score_min",
        "judge_score_max",
        "flag",
        "has_near_duplicate",
    } <= parameters


def test_a_search_with_filters_costs_two_queries_at_most(api, reviewer, django_assert_max_num_queries):
    """One for the page; on PostgreSQL one more asks the GIN index which pairs match (search.matching)."""
    client = api(reviewer)
    client.get(PAIRS)
    QAPairFactory.create_batch(3, answer="Glaciers.", quality_score=0.5, review_status=QAPair.ReviewStatus.PENDING)

    with django_assert_max_num_queries(2):
        response = client.get(PAIRS, {"search": "glaciers", "flagged": "false", "quality_score_max": "1"})

    assert len(ids(response)) == 3


def test_the_schema_with_the_queue_filters_generates_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
