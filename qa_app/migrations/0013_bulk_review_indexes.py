"""Bulk review writes fewer index entries (issue 11: bulk approve at >= 10,000 pairs/s).

A review decision changes review_status, which is indexed, so PostgreSQL cannot make it a HOT
update: every index of qa_app_qapair gets a new entry for every decided pair. Foreign keys that
are empty on most pairs (claimed_by, created_by, edited_by) are now indexed only where set;
job and import_run lose their own index, as their unique (job|import_run, record_index)
indexes lead with them. The decision rows drop the pair index that review_decision_by_pair
leads with, and index reject_reason only where set; history rows keep the indexes they are
read by (id, history_date, history_user) and drop the other foreign keys' indexes.

Only indexes change: the state operations alter the fields, the database drops the indexes by
name (Django's AlterField would also drop and re-add, and so re-validate, each foreign key).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs_app", "0009_tenants"),
        ("qa_app", "0012_tenants"),
        ("templates_app", "0006_tenants"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="edited_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="import_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="qa_app.importrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="job",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="jobs_app.generationjob",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="reviewed_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalqapair",
                    name="template_version",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="templates_app.templateversion",
                    ),
                ),
                migrations.AlterField(
                    model_name="qapair",
                    name="claimed_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="qapair",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="qapair",
                    name="edited_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="qapair",
                    name="import_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="pairs",
                        to="qa_app.importrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="qapair",
                    name="job",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="qa_pairs",
                        to="jobs_app.generationjob",
                    ),
                ),
                migrations.AlterField(
                    model_name="reviewdecision",
                    name="pair",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="qa_app.qapair",
                    ),
                ),
                migrations.AlterField(
                    model_name="reviewdecision",
                    name="reject_reason",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="qa_app.rejectreason",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_created_by_id_a61f0490"',
                    'CREATE INDEX "qa_app_historicalqapair_created_by_id_a61f0490" ON "qa_app_historicalqapair" ("created_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_edited_by_id_aa0aab30"',
                    'CREATE INDEX "qa_app_historicalqapair_edited_by_id_aa0aab30" ON "qa_app_historicalqapair" ("edited_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_import_run_id_2fb49861"',
                    'CREATE INDEX "qa_app_historicalqapair_import_run_id_2fb49861" ON "qa_app_historicalqapair" ("import_run_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_job_id_3833eb55"',
                    'CREATE INDEX "qa_app_historicalqapair_job_id_3833eb55" ON "qa_app_historicalqapair" ("job_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_reviewed_by_id_26311b33"',
                    'CREATE INDEX "qa_app_historicalqapair_reviewed_by_id_26311b33" ON "qa_app_historicalqapair" ("reviewed_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_historicalqapair_template_version_id_4f2ec623"',
                    'CREATE INDEX "qa_app_historicalqapair_template_version_id_4f2ec623" ON "qa_app_historicalqapair" ("template_version_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_qapair_claimed_by_id_c1cb7f56"',
                    'CREATE INDEX "qa_app_qapair_claimed_by_id_c1cb7f56" ON "qa_app_qapair" ("claimed_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_qapair_created_by_id_fac666dd"',
                    'CREATE INDEX "qa_app_qapair_created_by_id_fac666dd" ON "qa_app_qapair" ("created_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_qapair_edited_by_id_f3d8b97b"',
                    'CREATE INDEX "qa_app_qapair_edited_by_id_f3d8b97b" ON "qa_app_qapair" ("edited_by_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_qapair_import_run_id_00ea0176"',
                    'CREATE INDEX "qa_app_qapair_import_run_id_00ea0176" ON "qa_app_qapair" ("import_run_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_qapair_job_id_1c5e1d40"',
                    'CREATE INDEX "qa_app_qapair_job_id_1c5e1d40" ON "qa_app_qapair" ("job_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_reviewdecision_pair_id_af424648"',
                    'CREATE INDEX "qa_app_reviewdecision_pair_id_af424648" ON "qa_app_reviewdecision" ("pair_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "qa_app_reviewdecision_reject_reason_id_c3523eae"',
                    'CREATE INDEX "qa_app_reviewdecision_reject_reason_id_c3523eae" ON "qa_app_reviewdecision" ("reject_reason_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="qapair",
            index=models.Index(
                condition=models.Q(("claimed_by__isnull", False)), fields=["claimed_by"], name="qa_pair_claimed_by"
            ),
        ),
        migrations.AddIndex(
            model_name="qapair",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)), fields=["created_by"], name="qa_pair_created_by"
            ),
        ),
        migrations.AddIndex(
            model_name="qapair",
            index=models.Index(
                condition=models.Q(("edited_by__isnull", False)), fields=["edited_by"], name="qa_pair_edited_by"
            ),
        ),
        migrations.AddIndex(
            model_name="reviewdecision",
            index=models.Index(
                condition=models.Q(("reject_reason__isnull", False)),
                fields=["reject_reason"],
                name="review_decision_reject_reason",
            ),
        ),
    ]
