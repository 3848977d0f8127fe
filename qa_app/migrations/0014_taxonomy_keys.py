from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Left

import qa_app.search

KEY_CHARS = 100


def fill_taxonomy_keys(apps, schema_editor):
    """Every stored pair's chapter and subchapter: those its lineage names (jobs' and imports' pairs),
    else its job's, else its template version's. Three UPDATEs, whatever the count."""
    QAPair = apps.get_model("qa_app", "QAPair")
    GenerationJob = apps.get_model("jobs_app", "GenerationJob")
    TemplateVersion = apps.get_model("templates_app", "TemplateVersion")
    QAPair.objects.filter(lineage__has_key="chapter").update(
        chapter_key=Left(Coalesce(KT("lineage__chapter"), Value("")), KEY_CHARS),
        subchapter_key=Left(Coalesce(KT("lineage__subchapter"), Value("")), KEY_CHARS),
    )
    job = GenerationJob.objects.filter(pk=OuterRef("job_id"))
    QAPair.objects.filter(chapter_key="", job__isnull=False).update(
        chapter_key=Coalesce(Subquery(job.values("chapter_key")[:1]), Value("")),
        subchapter_key=Coalesce(Subquery(job.values("subchapter_key")[:1]), Value("")),
    )
    template = TemplateVersion.objects.filter(pk=OuterRef("template_version_id"))
    QAPair.objects.filter(chapter_key="", template_version__isnull=False).update(
        chapter_key=Coalesce(Subquery(template.values("template__chapter__key")[:1]), Value("")),
        subchapter_key=Coalesce(Subquery(template.values("template__subchapter__key")[:1]), Value("")),
    )


def reinstall_sqlite_fts(apps, schema_editor):
    # SQLite rebuilt qa_app_qapair to add the columns, dropping the full-text triggers with the old table.
    if schema_editor.connection.vendor == "sqlite":
        qa_app.search.install_sqlite_fts(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("qa_app", "0013_bulk_review_indexes"),
        ("jobs_app", "0009_tenants"),
        ("templates_app", "0006_tenants"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalqapair",
            name="chapter_key",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=KEY_CHARS),
        ),
        migrations.AddField(
            model_name="historicalqapair",
            name="subchapter_key",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=KEY_CHARS),
        ),
        migrations.AddField(
            model_name="qapair",
            name="chapter_key",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=KEY_CHARS),
        ),
        migrations.AddField(
            model_name="qapair",
            name="subchapter_key",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=KEY_CHARS),
        ),
        # Filled before the index is built: one index build instead of a million index updates.
        migrations.RunPython(fill_taxonomy_keys, migrations.RunPython.noop),
        migrations.RunPython(reinstall_sqlite_fts, migrations.RunPython.noop),
        # The chapter and subchapter filters and counts (QAPairQuerySet.in_chapter / in_subchapter).
        migrations.AddIndex(
            model_name="qapair",
            index=models.Index(fields=["chapter_key", "subchapter_key"], name="qa_pair_by_taxonomy"),
        ),
    ]
