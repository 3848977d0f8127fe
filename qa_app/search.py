"""Full-text search over a pair's question, answer and context, on PostgreSQL and on SQLite.

PostgreSQL: `QAPairSearchDocument.document` (table `qa_app_qapairsearchdocument`, one row per
pair) holds the weighted `to_tsvector` of the three texts, with a GIN index. Triggers on
`qa_app_qapair` write it (migration 0009): a statement-level trigger on INSERT reads the inserted
rows from its transition table in one `INSERT ... SELECT`, so every way rows reach the table keeps
it right with no code of its own and at set speed (the ORM's save, the synthetic COPY-speed path,
the bench fixture's raw COPY, any writer added later); a row trigger on `UPDATE OF question,
answer, context` rewrites a pair's document when one of its texts changed; deleting pairs deletes
theirs. It lives beside the pair rather than in a column of it because review decisions update the
pair's status columns, and a row update that is not HOT adds an entry to every index of the
table: with the vector in the pair's row, the GIN index cost 40 % of a bulk approval (measured at
100k pairs: UPDATE of 10,000 statuses 553 ms with it, 340 ms without).

SQLite: an FTS5 external-content table `qa_app_qapair_fts` over the same three columns, kept in
sync by triggers on `qa_app_qapair` (insert, delete, and an update that changes a text), so the
same writers need nothing either. The column exists there too (the model is one), always NULL.

`qa_app.selectors.qa_pairs_matching` is the one entry point; it hides which of the two runs.
Queries use web-search syntax on both: plain words (all must occur, stemmed), "quoted phrases",
`or` between words, `-word` to exclude.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import F, FloatField, Func, QuerySet
from django.db.models.expressions import RawSQL

from synthgov.errors import InvalidInput

from .models import QAPairSearchDocument

# The text search configuration of the vector and of every query (stemming and stop words).
# One for every locale: a German word is treated alike on both sides, so it is still found.
SEARCH_CONFIG = "english"
# Longer queries are refused (400): a search box never needs more, and a tsquery of thousands of
# words costs the GIN index one lookup per word.
MAX_SEARCH_CHARS = 500
SEARCH_FIELD = "search"
# PostgreSQL: a search matching fewer pairs is answered by their ids and ranked; more, unranked.
SEARCH_PROBE_LIMIT = 10_000
SEARCH_TOO_LONG = "search has {length:,} characters; at most {limit:,} are allowed."
SEARCH_HAS_NUL = "search contains a NUL character (\\u0000). Remove it."

FTS_TABLE = "qa_app_qapair_fts"
# bm25 weights of question, answer, context: like the A/B/C weights of the PostgreSQL vector.
FTS_WEIGHTS = (10.0, 4.0, 1.0)


class PostgresOnly(Func):
    """The wrapped expression on PostgreSQL; NULL on other databases. Only migration 0005 uses it
    (the generated column that 0009 replaced with QAPairSearchDocument)."""

    template = "%(expressions)s"
    output_field = SearchVectorField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


# The document's expression over a row of qa_app_qapair named `row` (as Django's SearchVector with
# weights writes it): question weighs most (A), then answer (B), context (C).
_DOCUMENT_SQL = " || ".join(
    f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, COALESCE(row.{column}, '')), '{weight}')"
    for column, weight in (("question", "A"), ("answer", "B"), ("context", "C"))
)
DOCUMENT_TABLE = "qa_app_qapairsearchdocument"
POSTGRES_TRIGGERS = f"""
CREATE OR REPLACE FUNCTION qa_pair_search_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {DOCUMENT_TABLE} (pair_id, document)
    SELECT row.id, {_DOCUMENT_SQL} FROM inserted_pairs AS row
    ON CONFLICT (pair_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION qa_pair_search_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.question, NEW.answer, NEW.context) IS DISTINCT FROM (OLD.question, OLD.answer, OLD.context) THEN
        INSERT INTO {DOCUMENT_TABLE} (pair_id, document)
        SELECT row.id, {_DOCUMENT_SQL} FROM (SELECT NEW.*) AS row
        ON CONFLICT (pair_id) DO UPDATE SET document = EXCLUDED.document;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION qa_pair_search_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {DOCUMENT_TABLE} WHERE pair_id IN (SELECT id FROM deleted_pairs);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS qa_pair_search_inserted ON qa_app_qapair;
CREATE TRIGGER qa_pair_search_inserted AFTER INSERT ON qa_app_qapair
    REFERENCING NEW TABLE AS inserted_pairs FOR EACH STATEMENT EXECUTE FUNCTION qa_pair_search_inserted();
DROP TRIGGER IF EXISTS qa_pair_search_text_changed ON qa_app_qapair;
CREATE TRIGGER qa_pair_search_text_changed AFTER UPDATE OF question, answer, context ON qa_app_qapair
    FOR EACH ROW EXECUTE FUNCTION qa_pair_search_text_changed();
DROP TRIGGER IF EXISTS qa_pair_search_deleted ON qa_app_qapair;
CREATE TRIGGER qa_pair_search_deleted AFTER DELETE ON qa_app_qapair
    REFERENCING OLD TABLE AS deleted_pairs FOR EACH STATEMENT EXECUTE FUNCTION qa_pair_search_deleted();
CREATE INDEX IF NOT EXISTS qa_pair_search_document ON {DOCUMENT_TABLE} USING gin (document);
"""
POSTGRES_TRIGGER_NAMES = ("qa_pair_search_inserted", "qa_pair_search_text_changed", "qa_pair_search_deleted")


def install_postgres_search(schema_editor) -> None:
    """Create (or replace) the triggers and the GIN index, and write the document of every pair
    that has none. Idempotent."""
    schema_editor.execute(POSTGRES_TRIGGERS)
    schema_editor.execute(
        f"INSERT INTO {DOCUMENT_TABLE} (pair_id, document) SELECT row.id, {_DOCUMENT_SQL} FROM qa_app_qapair AS row"
        " ON CONFLICT (pair_id) DO NOTHING"
    )


def uninstall_postgres_search(schema_editor) -> None:
    for trigger in POSTGRES_TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON qa_app_qapair")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {trigger}()")


def clean_search(text: str | None) -> str:
    """The search text stripped; InvalidInput (field `search`) when it cannot be searched for."""
    text = (text or "").strip()
    if len(text) > MAX_SEARCH_CHARS:
        raise InvalidInput(
            SEARCH_TOO_LONG.format(length=len(text), limit=MAX_SEARCH_CHARS),
            field=SEARCH_FIELD,
        )
    if "\x00" in text:
        raise InvalidInput(SEARCH_HAS_NUL, field=SEARCH_FIELD)
    return text


def matching(queryset: QuerySet, text: str, *, ranked: bool) -> QuerySet:
    """`queryset` narrowed to pairs matching `text` (already cleaned, non-empty); with `ranked`,
    annotated with `search_rank` (higher is better) and ordered by it, then newest first — on
    PostgreSQL only when fewer than SEARCH_PROBE_LIMIT pairs match (see below). On PostgreSQL
    this runs one query at once (the probe)."""
    if connection.vendor == "postgresql":
        query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        # PostgreSQL cannot tell a rare word from a common one (a word outside its statistics is
        # estimated at 0.5 % of the rows), so with ORDER BY id LIMIT it walks the id index testing
        # every row: 9 s for a word one pair in a million holds. So first ask the GIN index which
        # pairs match, up to SEARCH_PROBE_LIMIT ids (one query; a common word's probe is a short
        # scan that stops at the limit). Fewer: those ids are the result, looked up by primary
        # key (ms) and ranked. As many: the word is common, the plain condition finds a page fast
        # in any index order, and ranking every match would cost seconds, so it is not ranked.
        probe = QAPairSearchDocument.objects.filter(document=query).order_by().values_list("pair_id", flat=True)
        matched = list(probe[:SEARCH_PROBE_LIMIT])
        if len(matched) >= SEARCH_PROBE_LIMIT:
            return queryset.filter(search_document__document=query)
        queryset = queryset.filter(pk__in=matched)
        if ranked:
            queryset = queryset.annotate(search_rank=SearchRank(F("search_document__document"), query))
    else:
        positive, negative = fts5_query(text)
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        if positive is None and negative is None:
            return queryset.none()
        if positive is None:
            excluded = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
            return queryset.exclude(pk__in=RawSQL(excluded, [negative]))
        match = positive
        found = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        queryset = queryset.filter(pk__in=RawSQL(found, [match]))
        if ranked:
            weights = ", ".join(str(weight) for weight in FTS_WEIGHTS)
            rank = (
                f"(SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE}"
                f" WHERE {FTS_TABLE} MATCH %s AND rowid = {table}.id)"
            )
            queryset = queryset.annotate(search_rank=RawSQL(rank, [match], output_field=FloatField()))
    if ranked:
        queryset = queryset.order_by("-search_rank", "-pk")
    return queryset


# A quoted phrase (the closing quote may be missing), or a run of anything but space.
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD_CHARS = re.compile(r"\w")


def _phrase(text: str) -> str | None:
    """An FTS5 string (the tokenizer splits it into a phrase), or None when it holds no word."""
    if not _WORD_CHARS.search(text):
        return None
    return '"' + text.replace('"', '""') + '"'


def fts5_query(text: str) -> tuple[str | None, str | None]:
    """Web-search syntax, read as PostgreSQL's websearch_to_tsquery reads it, as FTS5 MATCH
    expressions: (what must match, what must not match when nothing else is asked for). Every
    word is quoted, so nothing a user types is FTS5 syntax.

    Words and phrases are all required; `or` separates alternatives, each a group of required
    words (`sad cat or fat rat` is (sad and cat) or (fat and rat)); `-word` or `-"a phrase"`
    excludes within its group. A group of only excluded words beside others is dropped (FTS5
    has no "everything but"); on its own it is the second element.
    """
    groups: list[tuple[list[str], list[str]]] = [([], [])]  # (required, excluded) per alternative
    for match in _TOKEN.finditer(text):
        quoted, word = match.group(1), match.group(2)
        if word is not None and word.lower() == "or":
            if groups[-1] != ([], []):
                groups.append(([], []))
            continue
        negate = False
        if word is not None and word.startswith("-") and len(word) > 1:
            negate, word = True, word[1:]
        phrase = _phrase(quoted if quoted is not None else word)
        if phrase is not None:
            groups[-1][1 if negate else 0].append(phrase)
    alternatives = []
    for required, excluded in groups:
        if not required:
            continue
        expression = " AND ".join(required)
        if excluded:
            expression = f"({expression}) NOT ({' OR '.join(excluded)})"
        elif len(required) > 1 and len(groups) > 1:
            expression = f"({expression})"
        alternatives.append(expression)
    if alternatives:
        return " OR ".join(alternatives), None
    excluded = [phrase for _, group_excluded in groups for phrase in group_excluded]
    return None, " OR ".join(excluded) or None


def install_sqlite_fts(schema_editor) -> None:
    """Create the FTS5 table and its triggers if missing, and index every existing pair.

    Idempotent. A later migration that makes SQLite rebuild `qa_app_qapair` (most AlterFields do)
    drops the triggers with the old table: it must call this again
    (tests/qa_app/test_search.py checks the triggers exist once every migration ran).
    """
    table = "qa_app_qapair"
    columns = "question, answer, context"
    old = "old.id, old.question, old.answer, old.context"
    new = "new.id, new.question, new.answer, new.context"
    changed = "old.question IS NOT new.question OR old.answer IS NOT new.answer OR old.context IS NOT new.context"
    statements = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({columns}, content='{table}',"
        " content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO {FTS_TABLE}(rowid, {columns}) VALUES ({new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON {table} BEGIN"
        f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {columns}) VALUES ('delete', {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF {columns} ON {table}"
        f" WHEN {changed} BEGIN"
        f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {columns}) VALUES ('delete', {old});"
        f" INSERT INTO {FTS_TABLE}(rowid, {columns}) VALUES ({new}); END",
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    ]
    for statement in statements:
        schema_editor.execute(statement)


SQLITE_FTS_TRIGGERS = (f"{FTS_TABLE}_insert", f"{FTS_TABLE}_delete", f"{FTS_TABLE}_update")


def uninstall_sqlite_fts(schema_editor) -> None:
    for trigger in SQLITE_FTS_TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
