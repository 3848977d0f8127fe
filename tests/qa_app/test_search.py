"""Full-text search (qa_app.selectors.qa_pairs_matching): PostgreSQL's generated tsvector column or
SQLite's FTS5 table, kept right by every writer, behind one selector."""

import pytest
from django.db import connection

from jobs_app.services import rejected_artifact_promote
from qa_app.models import QAPair, QAPairSearchDocument
from qa_app.search import MAX_SEARCH_CHARS, SEARCH_HAS_NUL, fts5_query
from qa_app.selectors import qa_pairs_matching
from qa_app.services import qa_pair_approve, qa_pair_create, qa_pair_edit
from synthgov.errors import InvalidInput
from templates_app.services import template_version_publish
from tests.factories import QAPairFactory, TemplateVersionFactory


def found(text: str, **options) -> list[int]:
    return list(qa_pairs_matching(QAPair.objects.all(), text, **options).values_list("pk", flat=True))


@pytest.fixture
def pairs(db):
    """Three pairs that share no distinctive word."""
    return {
        "answer": QAPairFactory(question="Where do penguins live?", answer="Mostly on the southern glaciers."),
        "context": QAPairFactory(question="What do they eat?", answer="Fish.", context="Notes from an expedition."),
        "other": QAPairFactory(question="What is 2 plus 3?", answer="5", context="Arithmetic drill."),
    }


def test_search_finds_a_pair_by_a_word_in_its_answer_and_no_unrelated_pair(pairs):
    assert found("glaciers") == [pairs["answer"].pk]


def test_search_finds_a_pair_by_a_word_in_its_context_and_no_unrelated_pair(pairs):
    assert found("expedition") == [pairs["context"].pk]


def test_search_finds_a_pair_by_a_word_in_its_question(pairs):
    assert found("penguins") == [pairs["answer"].pk]


def test_search_finds_other_forms_of_a_word(pairs):
    assert found("glacier") == [pairs["answer"].pk]


def test_search_needs_every_word(pairs):
    assert found("penguins expedition") == []


def test_search_with_or_finds_either_word(pairs):
    assert sorted(found("glaciers or expedition")) == sorted([pairs["answer"].pk, pairs["context"].pk])


def test_search_excludes_pairs_with_a_minus_word(pairs):
    assert found("expedition or glaciers -penguins") == [pairs["context"].pk]


def test_search_with_only_excluded_words_lists_the_pairs_without_them(pairs):
    assert sorted(found("-arithmetic")) == sorted([pairs["answer"].pk, pairs["context"].pk])


def test_search_of_a_quoted_phrase_needs_its_words_together(db):
    together = QAPairFactory(question="Why is the sky blue?", answer="Rayleigh scattering of light.")
    QAPairFactory(question="Is light blue a colour?", answer="Yes, and scattering is physics.")

    assert found('"rayleigh scattering"') == [together.pk]


def test_search_of_punctuation_only_finds_nothing(pairs):
    assert found("!!! ???") == []


def test_an_empty_search_leaves_the_queryset_as_it_was(pairs):
    assert sorted(found("   ")) == sorted(pair.pk for pair in pairs.values())


def test_search_ranks_a_match_in_the_question_above_one_in_the_context(db):
    in_context = QAPairFactory(question="What is this?", answer="A bird.", context="An albatross glides.")
    in_question = QAPairFactory(question="How far does an albatross fly?", answer="Far.")

    assert found("albatross") == [in_question.pk, in_context.pk]


def test_search_keeps_the_querysets_order_when_not_ranked(db):
    in_context = QAPairFactory(question="What is this?", answer="A bird.", context="An albatross glides.")
    in_question = QAPairFactory(question="How far does an albatross fly?", answer="Far.")

    matched = qa_pairs_matching(QAPair.objects.order_by("pk"), "albatross", ranked=False)

    assert list(matched.values_list("pk", flat=True)) == [in_context.pk, in_question.pk]


def test_search_finds_an_operator_pair_written_through_the_service(db, reviewer):
    pair = qa_pair_create(
        pair=QAPair(question="Which bird dives deepest?", answer="The emperor penguin.", tenant_id="acme"),
        acting_user=reviewer,
    )

    assert found("emperor") == [pair.pk]


def test_search_finds_an_edited_pair_by_its_new_text(pairs, reviewer):
    qa_pair_edit(pair=pairs["other"], acting_user=reviewer, answer="Five, counted on an abacus.")

    assert found("abacus") == [pairs["other"].pk]


def test_search_no_longer_finds_an_edited_pair_by_its_old_text(pairs, reviewer):
    qa_pair_edit(pair=pairs["answer"], acting_user=reviewer, answer="On the ice shelves.")

    assert found("glaciers") == []


def test_search_still_finds_a_pair_after_a_decision_on_it(pairs, reviewer):
    qa_pair_approve(pair=pairs["answer"], acting_user=reviewer)

    assert found("glaciers") == [pairs["answer"].pk]


def test_search_finds_pairs_the_synthetic_bulk_insert_stored(author, approver, run_job):
    version = TemplateVersionFactory(author=author, context_template="Counted by a quokka.")
    template_version_publish(version=version, acting_user=approver)
    QAPairFactory(question="Unrelated", answer="Nothing about marsupials.")

    job = run_job(version, record_count=5)

    assert sorted(found("quokka")) == sorted(job.qa_pairs.values_list("pk", flat=True))
    assert len(found("quokka")) == 5


def test_search_finds_a_promoted_artifact(rejected_artifact, reviewer):
    pair = rejected_artifact_promote(
        artifact=rejected_artifact, acting_user=reviewer, question="What is 5 plus 6?", answer="11", context="Wombat."
    )

    assert found("wombat") == [pair.pk]


def test_search_refuses_a_text_over_the_limit_naming_the_search_field(db):
    with pytest.raises(InvalidInput) as refused:
        found("w" * (MAX_SEARCH_CHARS + 1))

    assert refused.value.problems == {"search": [f"search has 501 characters; at most {MAX_SEARCH_CHARS} are allowed."]}


def test_search_refuses_a_nul_character(db):
    with pytest.raises(InvalidInput, match="NUL") as refused:
        found("pen\x00guin")

    assert refused.value.message == SEARCH_HAS_NUL


def test_web_search_syntax_becomes_a_quoted_fts5_expression():
    assert fts5_query('bird or fish "blue whale" -shark or') == (
        '"bird" OR ("fish" AND "blue whale") NOT ("shark")',
        None,
    )


def test_only_excluded_words_become_the_fts5_exclusion():
    assert fts5_query("-shark -eel") == (None, '"shark" OR "eel"')


def test_search_with_or_between_word_groups_needs_a_whole_group(pairs):
    assert found("penguins expedition or fish notes") == [pairs["context"].pk]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps its FTS5 table in sync by triggers")
def test_the_fts5_triggers_exist_once_every_migration_ran(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'qa_app_qapair'")
        triggers = {name for (name,) in cursor.fetchall()}

    assert {"qa_app_qapair_fts_insert", "qa_app_qapair_fts_delete", "qa_app_qapair_fts_update"} <= triggers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's search documents have a GIN index")
def test_the_search_documents_have_a_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'qa_pair_search_document'")
        (definition,) = cursor.fetchone()

    assert "USING gin (document)" in definition


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers write PostgreSQL's search documents")
def test_an_edited_text_is_found_by_its_new_words_only(db):
    pair = QAPairFactory(question="Why do glaciers calve?", answer="Ice fractures.")
    QAPair.objects.filter(pk=pair.pk).update(question="Why do volcanoes erupt?")

    assert list(qa_pairs_matching(QAPair.objects.all(), "volcanoes")) == [pair]
    assert list(qa_pairs_matching(QAPair.objects.all(), "glaciers")) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers write PostgreSQL's search documents")
def test_a_review_decision_leaves_the_search_document_alone(db):
    pair = QAPairFactory(question="Why do glaciers calve?", answer="Ice fractures.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM qa_app_qapairsearchdocument WHERE pair_id = %s", [pair.pk])
        (written,) = cursor.fetchone()
        QAPair.objects.filter(pk=pair.pk).update(review_status=QAPair.ReviewStatus.APPROVED)
        cursor.execute("SELECT ctid::text FROM qa_app_qapairsearchdocument WHERE pair_id = %s", [pair.pk])
        (after,) = cursor.fetchone()

    assert after == written


@pytest.mark.skipif(connection.vendor != "postgresql", reason="triggers write PostgreSQL's search documents")
def test_a_deleted_pair_leaves_no_search_document(db):
    pair = QAPairFactory(question="Why do glaciers calve?", answer="Ice fractures.")
    QAPair.objects.filter(pk=pair.pk).delete()

    assert not QAPairSearchDocument.objects.filter(pair_id=pair.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the probe guards PostgreSQL's plan choice")
def test_a_word_more_pairs_hold_than_the_probe_limit_is_found_unranked(pairs, monkeypatch):
    monkeypatch.setattr("qa_app.search.SEARCH_PROBE_LIMIT", 2)
    QAPairFactory(question="Glaciers calve.", answer="Yes.")

    matched = qa_pairs_matching(QAPair.objects.order_by("pk"), "glaciers")

    assert "search_rank" not in matched.query.annotations
    assert len(matched) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the probe guards PostgreSQL's plan choice")
def test_a_rare_word_is_looked_up_by_the_ids_the_probe_found(pairs, django_assert_num_queries):
    with django_assert_num_queries(1):
        matched = qa_pairs_matching(QAPair.objects.all(), "glaciers", ranked=False)

    assert '"qa_app_qapair"."id" IN' in str(matched.query)
