"""The queue's filters, defined once (qa_app.filters.QAPairFilter) and applied by
qa_app.selectors.qa_pairs_filtered, which the API, the admin and the review queue share."""

import pytest
from django.db import connection
from django.http import QueryDict

from jobs_app.judge import JUDGE_FAILED
from jobs_app.services import JobRequest, job_trigger
from qa_app.assessment import FLAG_CODES
from qa_app.models import QAPair
from qa_app.selectors import qa_pairs_filtered
from templates_app.services import template_version_publish
from tests.factories import (
    ChapterFactory,
    PromptTemplateFactory,
    QAPairFactory,
    SubchapterFactory,
    TemplateVersionFactory,
)


def filtered(params) -> list[int]:
    queryset, errors = qa_pairs_filtered(QAPair.objects.order_by("pk"), params)
    assert errors == {}
    return list(queryset.values_list("pk", flat=True))


@pytest.fixture
def world(approved_version, operator):
    """`match` (a job's synthetic pair of the arithmetic/addition template, tenant acme, German, good
    quality, flagged, judged 0.8) and `other` (an operator pair of another chapter, differing in each)."""
    job, _ = job_trigger(
        request=JobRequest(
            template_version=approved_version, tenant_id="acme", record_count=5, target_surface="training"
        ),
        acting_user=operator,
    )
    geography = ChapterFactory(key="geography", title="Geography")
    capitals = SubchapterFactory(chapter=geography, key="capitals", title="Capitals")
    other_version = TemplateVersionFactory(template=PromptTemplateFactory(chapter=geography, subchapter=capitals))
    match = QAPairFactory(
        job=job,
        record_index=0,
        template_version=approved_version,
        source=QAPair.Source.SYNTHETIC,
        tenant_id="acme",
        locale="de",
        quality_score=0.9,
        flags=[{"code": "near_duplicate", "of": 1, "similarity": 0.9}, {"code": "pii_email", "field": "answer"}],
        scores={"completeness": 1.0, "llm_judge": {"score": 0.8, "made_by": "model"}},
        answer="Die Summe ist fünf.",
    )
    other = QAPairFactory(
        template_version=other_version,
        source=QAPair.Source.OPERATOR,
        tenant_id="globex",
        locale="en",
        quality_score=0.3,
        flags=[],
        scores={"completeness": 1.0},
        answer="Paris is the capital.",
    )
    return {"match": match, "other": other, "job": job, "version": approved_version, "other_version": other_version}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda w: {"chapter": w["version"].template.chapter_id}, "match"),
        (lambda w: {"chapter": w["other_version"].template.chapter_id}, "other"),
        (lambda w: {"subchapter": w["version"].template.subchapter_id}, "match"),
        (lambda w: {"template": w["version"].template_id}, "match"),
        (lambda w: {"template_version": w["other_version"].pk}, "other"),
        (lambda w: {"job": w["job"].pk}, "match"),
        (lambda w: {"source": "synthetic"}, "match"),
        (lambda w: {"source": "operator"}, "other"),
        (lambda w: {"tenant_id": "globex"}, "other"),
        (lambda w: {"locale": "de"}, "match"),
        (lambda w: {"quality_score_min": "0.5"}, "match"),
        (lambda w: {"quality_score_max": "0.5"}, "other"),
        (lambda w: {"quality_score_min": "0.2", "quality_score_max": "0.4"}, "other"),
        (lambda w: {"judge_score_min": "0.5"}, "match"),
        (lambda w: {"judge_score_max": "0.9"}, "match"),
        (lambda w: {"judge_score_min": "0.85"}, None),
        (lambda w: {"has_near_duplicate": "true"}, "match"),
        (lambda w: {"has_near_duplicate": "false"}, "other"),
        (lambda w: {"flagged": "true"}, "match"),
        (lambda w: {"flagged": "false"}, "other"),
        (lambda w: {"search": "summe"}, "match"),
        (lambda w: {"search": "capital", "source": "operator"}, "other"),
    ],
    ids=lambda value: "" if callable(value) else str(value),
)
def test_each_filter_keeps_only_the_pairs_it_names(world, params, expected):
    wanted = [world[expected].pk] if expected else []

    assert filtered(params(world)) == wanted


def test_the_subchapter_filter_finds_pairs_of_a_job_narrowed_to_that_subchapter(operator, approver, author):
    chapter = ChapterFactory(key="physics", title="Physics")
    optics = SubchapterFactory(chapter=chapter, key="optics", title="Optics")
    SubchapterFactory(chapter=chapter, key="mechanics", title="Mechanics")
    version = TemplateVersionFactory(author=author, template=PromptTemplateFactory(chapter=chapter, subchapter=None))
    template_version_publish(version=version, acting_user=approver)
    job, _ = job_trigger(
        request=JobRequest(
            template_version=version,
            tenant_id="acme",
            record_count=1,
            target_surface="training",
            subchapter_key="optics",
        ),
        acting_user=operator,
    )
    pair = QAPairFactory(job=job, record_index=0, template_version=version, lineage=job.lineage)
    QAPairFactory(template_version=version)

    assert filtered({"subchapter": optics.pk}) == [pair.pk]


@pytest.mark.parametrize("code", list(FLAG_CODES))
def test_the_flag_filter_keeps_pairs_with_that_flag_code(db, code):
    flagged = QAPairFactory(flags=[{"code": code}])
    other_code = next(each for each in FLAG_CODES if each != code)
    QAPairFactory(flags=[{"code": other_code}])
    QAPairFactory(flags=[])

    assert filtered({"flag": code}) == [flagged.pk]


def test_several_flag_values_need_every_flag(db):
    both = QAPairFactory(flags=[{"code": "pii_email"}, {"code": "pii_phone"}])
    QAPairFactory(flags=[{"code": "pii_email"}])

    assert filtered(QueryDict("flag=pii_email&flag=pii_phone")) == [both.pk]


def test_the_flag_filter_ignores_flags_stored_as_plain_strings(db):
    QAPairFactory(flags=["pii_email"])

    assert filtered({"flag": "pii_email"}) == []


def test_the_judge_score_filter_leaves_out_pairs_no_judge_scored(db):
    QAPairFactory(scores={"completeness": 1.0})
    judged = QAPairFactory(scores={"llm_judge": {"score": 0.1}})

    assert filtered({"judge_score_max": "0.5"}) == [judged.pk]


def test_every_flag_the_judge_raises_can_be_filtered():
    assert JUDGE_FAILED in FLAG_CODES


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"quality_score_min": "high"}, "quality_score_min"),
        ({"judge_score_max": "NaN"}, "judge_score_max"),
        ({"flag": "not_a_flag"}, "flag"),
        ({"has_near_duplicate": "maybe"}, "has_near_duplicate"),
        ({"flagged": "1"}, "flagged"),
        ({"chapter": "999999"}, "chapter"),
        ({"job": "abc"}, "job"),
        ({"source": "robot"}, "source"),
        ({"search": "pen\x00guin"}, "search"),
        ({"search": "w" * 501}, "search"),
        ({"quality_score_min": "0.9", "quality_score_max": "0.1"}, "quality_score_min"),
        ({"judge_score_min": "0.9", "judge_score_max": "0.1"}, "judge_score_min"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else value,
)
def test_a_bad_filter_value_is_an_error_naming_its_parameter(db, params, field):
    QAPairFactory()

    queryset, errors = qa_pairs_filtered(QAPair.objects.all(), params)

    assert list(errors) == [field]
    assert list(queryset) == []


def test_parameters_that_are_no_filter_are_ignored(db):
    pair = QAPairFactory()

    assert filtered({"o": "-quality_score", "page_size": "10"}) == [pair.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes the JSON filters")
def test_the_judge_score_filter_can_use_its_index(db):
    queryset, _ = qa_pairs_filtered(QAPair.objects.order_by("pk"), {"judge_score_min": "0.5"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "qa_pair_judge_score" in plan
