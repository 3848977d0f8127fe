"""Imports: each format and shape read back field by field, line errors, duplicates, idempotency,
approval on import, permissions and paths (qa_app/services/imports.py)."""

import csv
import gzip
import json
import random
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection

from qa_app.assessment import language
from qa_app.imports.readers import UnreadableFile, read_lines
from qa_app.models import ImportLineIssue, ImportRun, QAPair, ReviewDecision
from qa_app.services.import_batches import LINE_TAXONOMY_UNKNOWN
from qa_app.services.imports import (
    APPROVAL_NEEDS_REASON,
    ImportRequest,
    import_run_cancel,
    import_run_create,
    import_run_process,
)
from synthgov.errors import InvalidInput, PermissionRefused, TransitionRefused
from tests.factories import ChapterFactory, QAPairFactory, SubchapterFactory

PLAIN = [
    {"question": "What is the capital of France?", "answer": "Paris is the capital of France.", "source": "atlas"},
    {"question": "How many legs has a spider?", "answer": "A spider has eight legs.", "context": "Arachnids."},
]


@pytest.fixture
def import_dir(settings, tmp_path):
    directory = tmp_path / "imports"
    directory.mkdir()
    settings.SYNTHGOV_IMPORT_DIR = directory
    return directory


def write_jsonl(path, records, *, compress=False):
    text = "".join(json.dumps(record) + "\n" for record in records)
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def run_import(user, path, **request):
    request.setdefault("tenant_id", "acme")
    request.setdefault("locale", "en")
    run, _ = import_run_create(request=ImportRequest(**request), acting_user=user, path=path.name, enqueue=False)
    return import_run_process(run_id=run.pk)


def imported_pairs(run):
    pairs = list(QAPair.objects.filter(import_run=run).order_by("record_index"))
    assert pairs, "the import stored no pair"
    return pairs


def test_a_plain_jsonl_file_becomes_pending_imported_pairs_with_their_lineage(curator, import_dir):
    run = run_import(curator, write_jsonl(import_dir / "plain.jsonl", PLAIN))

    pairs = imported_pairs(run)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert (run.imported, run.duplicates, run.errors, run.lines_done) == (2, 0, 0, 2)
    assert [(pair.question, pair.answer, pair.context) for pair in pairs] == [
        (PLAIN[0]["question"], PLAIN[0]["answer"], ""),
        (PLAIN[1]["question"], PLAIN[1]["answer"], "Arachnids."),
    ]
    first = pairs[0]
    assert (first.source, first.review_status, first.tenant_id, first.locale) == ("imported", "pending", "acme", "en")
    assert first.metadata == {"source": "atlas"}
    assert first.created_by == curator
    assert first.lineage["file_name"] == "plain.jsonl"
    assert first.lineage["file_sha256"] == run.file_sha256
    assert first.lineage["line"] == 1
    assert first.quality_score is not None


def test_a_gzip_jsonl_file_is_read_as_plain_jsonl(curator, import_dir):
    run = run_import(curator, write_jsonl(import_dir / "plain.jsonl.gz", PLAIN, compress=True))

    assert [pair.question for pair in imported_pairs(run)] == [record["question"] for record in PLAIN]


def test_openai_chat_lines_map_system_user_and_assistant_and_keep_earlier_turns(curator, import_dir):
    record = {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "What is two plus two?"},
            {"role": "assistant", "content": "Two plus two is four."},
        ]
    }
    run = run_import(curator, write_jsonl(import_dir / "chat.jsonl", [record]))

    (pair,) = imported_pairs(run)
    assert run.shape == "chat"
    assert (pair.question, pair.answer) == ("What is two plus two?", "Two plus two is four.")
    assert pair.metadata["system_prompt"] == "You are terse."
    assert pair.metadata["turns"] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]


def test_alpaca_lines_map_instruction_input_and_output(curator, import_dir):
    record = {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour", "id": 7}
    run = run_import(curator, write_jsonl(import_dir / "alpaca.jsonl", [record]))

    (pair,) = imported_pairs(run)
    assert run.shape == "alpaca"
    assert (pair.question, pair.context, pair.answer, pair.metadata) == (
        "Translate to French.",
        "Good morning",
        "Bonjour",
        {"id": 7},
    )


def test_sharegpt_lines_map_human_and_gpt_turns(curator, import_dir):
    record = {
        "conversations": [
            {"from": "system", "value": "Be kind."},
            {"from": "human", "value": "Why is the sky blue?"},
            {"from": "gpt", "value": "Rayleigh scattering of sunlight."},
        ]
    }
    run = run_import(curator, write_jsonl(import_dir / "sharegpt.jsonl", [record]))

    (pair,) = imported_pairs(run)
    assert run.shape == "sharegpt"
    assert (pair.question, pair.answer, pair.metadata) == (
        "Why is the sky blue?",
        "Rayleigh scattering of sunlight.",
        {"system_prompt": "Be kind."},
    )


def test_a_column_mapping_reads_any_field_names(curator, import_dir):
    records = [{"prompt": "Name a prime number.", "completion": "Seven is prime.", "topic": "maths"}]
    run = run_import(
        curator,
        write_jsonl(import_dir / "mapped.jsonl", records),
        shape="mapping",
        mapping={"question": "prompt", "answer": "completion"},
    )

    (pair,) = imported_pairs(run)
    assert (pair.question, pair.answer, pair.metadata) == (
        "Name a prime number.",
        "Seven is prime.",
        {"topic": "maths"},
    )


def test_a_csv_file_is_read_with_its_header(curator, import_dir):
    path = import_dir / "pairs.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["question", "answer", "context"])
        writer.writeheader()
        writer.writerow({"question": "Line one?\nLine two?", "answer": "Both, with a comma, kept.", "context": ""})

    run = run_import(curator, path)

    (pair,) = imported_pairs(run)
    assert run.file_format == "csv"
    assert (pair.question, pair.answer) == ("Line one?\nLine two?", "Both, with a comma, kept.")


def test_a_parquet_file_is_read_in_record_batches(curator, import_dir):
    path = import_dir / "pairs.parquet"
    pq.write_table(pa.Table.from_pylist(PLAIN), path, row_group_size=1)

    run = run_import(curator, path)

    assert run.file_format == "parquet"
    assert [pair.question for pair in imported_pairs(run)] == [record["question"] for record in PLAIN]
    assert imported_pairs(run)[1].lineage["line"] == 2


def test_the_chapter_is_taken_from_a_field_when_one_is_named(curator, import_dir):
    ChapterFactory(key="geography")
    records = [{**PLAIN[0], "topic": "geography"}]
    run = run_import(curator, write_jsonl(import_dir / "topics.jsonl", records), chapter_field="topic")

    (pair,) = imported_pairs(run)
    assert pair.lineage["chapter"] == "geography"
    assert "topic" not in pair.metadata


def test_a_chapter_field_may_name_a_chapter_and_its_subchapter(curator, import_dir):
    subchapter = SubchapterFactory()
    records = [{**PLAIN[0], "topic": f"{subchapter.chapter.key}/{subchapter.key}"}]
    run = run_import(curator, write_jsonl(import_dir / "topics.jsonl", records), chapter_field="topic")

    (pair,) = imported_pairs(run)
    assert (pair.lineage["chapter"], pair.lineage["subchapter"]) == (subchapter.chapter.key, subchapter.key)


def test_a_line_without_the_chapter_field_takes_the_runs_chapter(curator, import_dir):
    ChapterFactory(key="geography")
    path = write_jsonl(import_dir / "topics.jsonl", [PLAIN[0]])
    run = run_import(curator, path, chapter_field="topic", chapter_key="geography")

    (pair,) = imported_pairs(run)
    assert pair.lineage["chapter"] == "geography"


@pytest.mark.parametrize(
    ("topic", "what"), [("astrology", "chapter"), ("geography/astrology", "subchapter")], ids=["chapter", "subchapter"]
)
def test_a_line_whose_chapter_field_names_no_taxonomy_entry_is_a_line_error(curator, import_dir, topic, what):
    ChapterFactory(key="geography")
    records = [{**PLAIN[0], "topic": topic}, {**PLAIN[1], "topic": "geography"}]
    run = run_import(curator, write_jsonl(import_dir / "topics.jsonl", records), chapter_field="topic")

    (issue,) = ImportLineIssue.objects.filter(run=run)
    assert (issue.line, issue.kind) == (1, ImportLineIssue.Kind.ERROR)
    assert issue.reason == LINE_TAXONOMY_UNKNOWN.format(field="topic", value=topic, what=what)
    assert [pair.lineage["line"] for pair in imported_pairs(run)] == [2]
    assert (run.imported, run.errors) == (1, 1)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json}\n", "bad JSON"),
        (b'["a list"]\n', "must be a JSON object"),
        (b'{"question": "Only a question?"}\n', "missing field 'answer'"),
        (b'{"question": 42, "answer": "Forty-two."}\n', "field 'question' must be text, not a number"),
        (b'{"question": "Q\\u0000?", "answer": "A NUL."}\n', "NUL character"),
        (b'{"question": "", "answer": "Empty question."}\n', "question is empty"),
        (b'{"question": "Bad \xff byte?", "answer": "Invalid UTF-8."}\n', "invalid UTF-8"),
    ],
)
def test_a_bad_line_is_a_line_error_with_its_number_reason_and_text(curator, import_dir, line, reason):
    path = import_dir / "bad.jsonl"
    path.write_bytes(json.dumps(PLAIN[0]).encode() + b"\n" + line)

    run = run_import(curator, path, shape="plain")

    (issue,) = ImportLineIssue.objects.filter(run=run)
    assert (run.status, run.imported, run.errors) == ("succeeded", 1, 1)
    assert (issue.line, issue.kind) == (2, "error")
    assert reason in issue.reason
    assert issue.raw


def test_a_line_over_the_size_limit_is_an_error_and_not_read_whole(curator, import_dir, settings):
    settings.SYNTHGOV_IMPORT_MAX_LINE_BYTES = 200
    long_line = {"question": "Long?", "answer": "x" * 1000}
    run = run_import(curator, write_jsonl(import_dir / "long.jsonl", [long_line, PLAIN[0]]), shape="plain")

    (issue,) = ImportLineIssue.objects.filter(run=run)
    assert (issue.line, run.imported) == (1, 1)
    assert "at most 200 are read" in issue.reason


def test_a_text_over_the_character_limit_is_a_line_error(curator, import_dir, settings):
    settings.SYNTHGOV_MAX_TEXT_CHARS = 50
    run = run_import(curator, write_jsonl(import_dir / "long.jsonl", [{"question": "Q?", "answer": "y" * 51}]))

    (issue,) = ImportLineIssue.objects.filter(run=run)
    assert "at most 50 are allowed" in issue.reason


def test_every_line_has_exactly_one_outcome(curator, import_dir):
    existing = QAPairFactory(tenant_id="acme", question=PLAIN[0]["question"], answer=PLAIN[0]["answer"])
    records = [PLAIN[0], PLAIN[1], PLAIN[1], {"question": "No answer?"}]

    run = run_import(curator, write_jsonl(import_dir / "mixed.jsonl", records), shape="plain")

    issues = {issue.line: issue for issue in ImportLineIssue.objects.filter(run=run)}
    pair_lines = set(QAPair.objects.filter(import_run=run).values_list("record_index", flat=True))
    assert pair_lines == {2}
    assert set(issues) == {1, 3, 4}
    assert (issues[1].kind, issues[1].pair_id) == ("duplicate", existing.pk)
    assert (issues[3].kind, issues[3].pair_id) == ("duplicate", QAPair.objects.get(import_run=run).pk)
    assert issues[4].kind == "error"
    assert (run.imported, run.duplicates, run.errors, run.lines_done) == (1, 2, 1, 4)


def test_importing_the_same_file_again_reports_every_line_as_a_duplicate_and_changes_nothing(curator, import_dir):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)
    first = run_import(curator, path)
    pair = imported_pairs(first)[0]
    QAPair.objects.filter(pk=pair.pk).update(answer="Edited by a person.")

    second = run_import(curator, path)

    assert (second.imported, second.duplicates) == (0, 2)
    assert QAPair.objects.filter(source="imported").count() == 2
    assert QAPair.objects.get(pk=pair.pk).answer == "Edited by a person."


def test_the_same_file_with_the_same_idempotency_key_returns_the_earlier_run(curator, import_dir):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)
    request = ImportRequest(tenant_id="acme", idempotency_key="batch-1")
    first, created = import_run_create(request=request, acting_user=curator, path=path.name, enqueue=False)

    again, created_again = import_run_create(request=request, acting_user=curator, path=path.name, enqueue=False)

    assert (created, created_again, again.pk) == (True, False, first.pk)


def test_a_resumed_run_starts_after_its_last_committed_line(curator, import_dir, settings):
    settings.SYNTHGOV_IMPORT_BATCH_SIZE = 1
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme", locale="en"),
        acting_user=curator,
        path=write_jsonl(import_dir / "plain.jsonl", PLAIN).name,
        enqueue=False,
    )
    with pytest.raises(_WorkerKilled):
        import_run_process(run_id=run.pk, progress=_killed_after_first_batch)
    assert ImportRun.objects.filter(pk=run.pk, status="running", lines_done=1).exists()
    assert QAPair.objects.filter(import_run=run).count() == 1

    run = import_run_process(run_id=run.pk)

    assert run.status == "succeeded"
    assert sorted(QAPair.objects.filter(import_run=run).values_list("record_index", flat=True)) == [1, 2]
    assert not ImportLineIssue.objects.filter(run=run).exists()


class _WorkerKilled(Exception):
    """Stands for a worker that dies between two batches."""


def _killed_after_first_batch(done):
    if done == 1:
        raise _WorkerKilled


def test_approval_on_import_needs_the_permission(curator, import_dir):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)

    with pytest.raises(PermissionRefused, match=r"qa_app\.approve_on_import"):
        import_run_create(
            request=ImportRequest(tenant_id="acme", approve=True, approval_reason="Curated by the eval team."),
            acting_user=curator,
            path=path.name,
            enqueue=False,
        )
    assert not ImportRun.objects.exists()


def test_approval_on_import_needs_a_reason(make_user, import_dir):
    importer = make_user("lead", "Curators", "Approvers")
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)

    with pytest.raises(InvalidInput) as refused:
        import_run_create(
            request=ImportRequest(tenant_id="acme", approve=True), acting_user=importer, path=path.name, enqueue=False
        )
    assert refused.value.message == APPROVAL_NEEDS_REASON
    assert not ImportRun.objects.exists()


def test_approved_on_import_pairs_carry_the_importers_decision_and_reason(make_user, import_dir):
    importer = make_user("lead", "Curators", "Approvers")
    run = run_import(
        importer,
        write_jsonl(import_dir / "plain.jsonl", PLAIN),
        approve=True,
        approval_reason="Curated by the eval team.",
    )

    pairs = imported_pairs(run)
    assert {pair.review_status for pair in pairs} == {"approved"}
    assert {pair.reviewed_by_id for pair in pairs} == {importer.pk}
    assert ReviewDecision.objects.filter(pair__in=pairs, reason="Curated by the eval team.").count() == 2
    assert QAPair.history.filter(id=pairs[0].pk, history_change_reason__contains="approved on import").exists()


def test_importing_needs_the_import_permission(reviewer, import_dir):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)

    with pytest.raises(PermissionRefused, match=r"qa_app\.add_importrun"):
        import_run_create(request=ImportRequest(tenant_id="acme"), acting_user=reviewer, path=path.name)


@pytest.mark.parametrize("path", ["../outside.jsonl", "/etc/passwd"])
def test_a_path_outside_the_import_directory_is_refused(curator, import_dir, path):
    (import_dir.parent / "outside.jsonl").write_text(json.dumps(PLAIN[0]) + "\n")

    with pytest.raises(InvalidInput, match="outside the import directory"):
        import_run_create(request=ImportRequest(tenant_id="acme"), acting_user=curator, path=path)
    assert not ImportRun.objects.exists()


def test_records_of_no_known_shape_are_refused_with_a_mapping_hint(curator, import_dir):
    path = write_jsonl(import_dir / "odd.jsonl", [{"prompt": "P", "completion": "C"}])

    with pytest.raises(InvalidInput, match=re.escape('give a mapping such as {"question": "prompt"')):
        import_run_create(request=ImportRequest(tenant_id="acme"), acting_user=curator, path=path.name)


def test_a_mapping_without_an_answer_field_is_refused(curator, import_dir):
    path = write_jsonl(import_dir / "odd.jsonl", [{"prompt": "P", "completion": "C"}])

    with pytest.raises(InvalidInput, match="must name the field of the answer"):
        import_run_create(
            request=ImportRequest(tenant_id="acme", shape="mapping", mapping={"question": "prompt"}),
            acting_user=curator,
            path=path.name,
        )


def test_a_file_that_is_not_parquet_fails_the_run_with_one_sentence(curator, import_dir):
    path = import_dir / "broken.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")

    run = run_import(curator, path, file_format="parquet", shape="plain")

    assert run.status == "failed"
    assert run.error.startswith("The file cannot be read as Parquet")


def test_a_cancelled_run_stops_and_keeps_what_it_stored(curator, import_dir):
    run, _ = import_run_create(
        request=ImportRequest(tenant_id="acme"),
        acting_user=curator,
        path=write_jsonl(import_dir / "plain.jsonl", PLAIN).name,
        enqueue=False,
    )
    import_run_cancel(run=run, acting_user=curator)

    run = import_run_process(run_id=run.pk)

    assert run.status == "cancelled"
    assert not QAPair.objects.filter(import_run=run).exists()
    with pytest.raises(TransitionRefused, match="already cancelled"):
        import_run_cancel(run=run, acting_user=curator)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL refuses NUL and over-long text")
@pytest.mark.parametrize(("field", "value"), [("tenant_id", "t" * 101), ("tenant_id", "a\x00b"), ("locale", "x" * 36)])
def test_over_long_or_nul_request_fields_are_refused_before_anything_is_stored(curator, import_dir, field, value):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)

    with pytest.raises(InvalidInput) as refused:
        import_run_create(
            request=ImportRequest(**{"tenant_id": "acme", field: value}), acting_user=curator, path=path.name
        )
    assert refused.value.field == field
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"chapter_key": "nowhere"}, "chapter_key"),
        ({"subchapter_key": "orphan"}, "chapter_key"),
    ],
)
def test_chapter_keys_outside_the_taxonomy_are_refused(curator, import_dir, request_fields, field):
    path = write_jsonl(import_dir / "plain.jsonl", PLAIN)

    with pytest.raises(InvalidInput) as refused:
        import_run_create(
            request=ImportRequest(tenant_id="acme", **request_fields), acting_user=curator, path=path.name
        )
    assert refused.value.field == field
    assert not ImportRun.objects.exists()


def test_a_known_chapter_and_subchapter_go_into_every_pairs_lineage(curator, import_dir):
    subchapter = SubchapterFactory()
    chapter = subchapter.chapter.key

    run = run_import(
        curator, write_jsonl(import_dir / "plain.jsonl", PLAIN), chapter_key=chapter, subchapter_key=subchapter.key
    )

    assert {(pair.lineage["chapter"], pair.lineage["subchapter"]) for pair in imported_pairs(run)} == {
        (chapter, subchapter.key)
    }


GERMAN_LINE = {
    "question": "Warum braucht ein Sauerteig regelmäßig frisches Mehl und Wasser?",
    "answer": "Weil die Hefen und Milchsäurebakterien im Teig den Zucker im frischen Mehl fressen.",
}
ENGLISH_LINE = {
    "question": "Why does a sourdough starter need regular feeding with flour and water?",
    "answer": "Because the wild yeast and bacteria in the starter eat the sugars in fresh flour.",
}


def test_each_lines_locale_is_detected_when_the_run_names_none(curator, import_dir):
    lines = [GERMAN_LINE, ENGLISH_LINE, {"question": "2 + 2?", "answer": "4 = 2 + 2"}]

    run = run_import(curator, write_jsonl(import_dir / "mixed.jsonl", lines), locale="")

    assert [pair.locale for pair in imported_pairs(run)] == ["de", "en", "und"]


def test_a_line_in_another_language_than_the_runs_locale_is_flagged(curator, import_dir):
    run = run_import(curator, write_jsonl(import_dir / "german.jsonl", [GERMAN_LINE]), locale="en")

    (pair,) = imported_pairs(run)
    (flag,) = [flag for flag in pair.flags if flag["code"] == "locale_mismatch"]
    assert (flag["expected"], flag["detected"]) == ("en", "de")


def test_a_detected_locale_costs_one_identification_a_line(curator, import_dir, monkeypatch):
    identified = []
    detect = language.detect_language

    def counted_detect(text):
        identified.append(text)
        return detect(text)

    monkeypatch.setattr(language, "detect_language", counted_detect)
    monkeypatch.setattr("qa_app.imports.checking.detect_language", counted_detect)

    run_import(curator, write_jsonl(import_dir / "two.jsonl", [GERMAN_LINE, ENGLISH_LINE]), locale="")

    assert len(identified) == 2


def test_a_file_unreadable_after_its_first_batches_keeps_them_and_fails_the_run(curator, import_dir, settings):
    # The next batch is read while this one's pairs are inserted: a read failure there must not
    # roll back the batch being written.
    settings.SYNTHGOV_IMPORT_BATCH_SIZE = 5
    words = [f"w{number}" for number in range(500)]
    rng = random.Random(3)
    records = [
        {"question": f"Question {number}?", "answer": " ".join(rng.choice(words) for _ in range(60))}
        for number in range(60)
    ]
    path = write_jsonl(import_dir / "cut.jsonl.gz", records, compress=True)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    committed = lines_read_before_it_fails(path) // 5 * 5
    assert committed >= 10, "the cut file should keep at least two whole batches"

    run = run_import(curator, path, shape="plain", locale="en")

    assert run.status == "failed"
    assert run.error.startswith("The file cannot be read as JSON Lines")
    assert run.lines_done == committed
    assert QAPair.objects.filter(import_run=run).count() == committed


def lines_read_before_it_fails(path) -> int:
    readable = 0
    try:
        for _ in read_lines(path, "jsonl"):
            readable += 1
    except UnreadableFile:
        return readable
    raise AssertionError(f"{path} was read to its end")
