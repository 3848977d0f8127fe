"""The review queue's "flagged first" order walks an index instead of sorting every pending pair.

The expression is exactly what Django writes for selectors.QUEUE_ORDERS["flagged"] on PostgreSQL
(a test checks the queue's plan has no Sort): at 300k pairs, 43k pending, the first page took
75 ms sorting them and 0.3 ms with the index. SQLite has no such plan to fix.
"""

from django.db import migrations

INDEX = "qa_pair_review_flagged_first"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON qa_app_qapair "
            "((CASE WHEN flags = '[]'::jsonb THEN 1 ELSE 0 END), id) WHERE review_status = 'pending'"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("qa_app", "0007_claims"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
