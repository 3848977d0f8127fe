"""Full-text documents move out of the pair's row into QAPairSearchDocument (qa_app/search.py):
review decisions no longer add an entry to the GIN index on every status change. On PostgreSQL
the triggers are installed and every existing pair's document is written before the generated
column (and its GIN index) is dropped; on SQLite dropping the column rebuilds qa_app_qapair,
which drops the FTS5 triggers, so they are installed again."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

import qa_app.search


def install_postgres_documents(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        qa_app.search.install_postgres_search(schema_editor)


def uninstall_postgres_documents(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        qa_app.search.uninstall_postgres_search(schema_editor)


def reinstall_sqlite_fts(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        qa_app.search.install_sqlite_fts(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("qa_app", "0008_queue_flagged_first_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="QAPairSearchDocument",
            fields=[
                (
                    "pair",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="qa_app.qapair",
                    ),
                ),
                ("document", django.contrib.postgres.search.SearchVectorField()),
            ],
        ),
        migrations.RunPython(install_postgres_documents, uninstall_postgres_documents),
        migrations.RemoveField(model_name="qapair", name="search_vector"),
        migrations.RunPython(reinstall_sqlite_fts, migrations.RunPython.noop),
    ]
