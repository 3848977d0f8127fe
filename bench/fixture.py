"""A scale fixture: N realistic QA pairs loaded with COPY, reusable across scenarios.

Small objects (taxonomy, templates, jobs, collections) go through the ORM; the pairs and
memberships, which are millions of rows, go through PostgreSQL COPY.
"""

import json
import random
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from tqdm import tqdm

from collections_app.models import Collection
from jobs_app.models import GenerationJob
from qa_app.models import lineage_taxonomy, normalised_content_hash
from templates_app.models import Chapter, PromptTemplate, Subchapter, TemplateVersion
from tenants_app.services import tenants_ensure

TENANT = "bench"
EXPORT_COLLECTION = "bench-export"
FIXTURE_MARKER = "bench-fixture"
BENCH_USER = "bench-admin"
VERSION_COUNT = 5
JOBS_PER_VERSION = 4

# Review statuses and sources in the proportions of a tenant well into its review work.
STATUS_WEIGHTS = {"approved": 80, "pending": 15, "rejected": 5}
SOURCE_WEIGHTS = {"synthetic": 85, "operator": 10, "imported": 5}

WORDS = [
    "account",
    "balance",
    "interest",
    "rate",
    "invoice",
    "payment",
    "transfer",
    "customer",
    "order",
    "delivery",
    "refund",
    "policy",
    "contract",
    "clause",
    "liability",
    "premium",
    "claim",
    "coverage",
    "deductible",
    "network",
    "latency",
    "throughput",
    "replica",
    "shard",
    "index",
    "query",
    "schema",
    "migration",
    "rollback",
    "deployment",
    "cluster",
    "node",
    "pod",
    "container",
    "volume",
    "secret",
    "certificate",
    "token",
    "session",
    "patient",
    "dosage",
    "symptom",
    "diagnosis",
    "treatment",
    "referral",
    "appointment",
    "record",
    "consent",
    "allergy",
    "river",
    "mountain",
    "capital",
    "border",
    "population",
    "climate",
    "harvest",
    "export",
    "tariff",
    "budget",
    "forecast",
    "revenue",
    "margin",
    "audit",
    "ledger",
]

PAIR_COLUMNS = [
    "question",
    "answer",
    "context",
    "metadata",
    "tags",
    "locale",
    "tenant_id",
    "source",
    "content_hash",
    "review_status",
    "reviewed_by_id",
    "reviewed_at",
    "review_reason",
    "quality_score",
    "scores",
    "flags",
    "job_id",
    "template_version_id",
    "record_index",
    "lineage",
    "chapter_key",
    "subchapter_key",
    "is_preview",
    "created_at",
    "updated_at",
]


def _text(rng: random.Random, length: int) -> str:
    words, size = [], 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def is_loaded(n: int) -> bool:
    marker = Collection.objects.filter(slug=FIXTURE_MARKER).first()
    return bool(marker and marker.name == f"{n} pairs")


def bench_tenant(key: str = TENANT) -> str:
    """`key`, made a tenant if it is not one yet (services refuse rows of unknown tenants)."""
    tenants_ensure([key])
    return key


def bench_user():
    """The superuser every scenario acts as; the fixture's tenant exists once it is asked for
    (also in a database kept from before tenants were enforced)."""
    bench_tenant()
    user, created = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_password("bench")
        user.save()
    return user


@transaction.atomic
def _small_objects(user) -> list[tuple[GenerationJob, TemplateVersion]]:
    chapter, _ = Chapter.objects.get_or_create(key="bench", defaults={"title": "Benchmark"})
    subchapter, _ = Subchapter.objects.get_or_create(chapter=chapter, key="scale", defaults={"title": "Scale"})
    jobs = []
    for number in range(VERSION_COUNT):
        template, _ = PromptTemplate.objects.get_or_create(
            key=f"bench-{number}", defaults={"name": f"Bench {number}", "chapter": chapter, "subchapter": subchapter}
        )
        version = TemplateVersion(
            template=template,
            version=1,
            status=TemplateVersion.Status.APPROVED,
            question_template="{{ q }}",
            answer_template="{{ a }}",
            author=user,
            published_by=user,
        )
        version.save()
        for _ in range(JOBS_PER_VERSION):
            job = GenerationJob(
                template_version=version,
                chapter_key=chapter.key,
                subchapter_key=subchapter.key,
                tenant_id=TENANT,
                record_count=1,
                target_surface="training",
                status=GenerationJob.Status.SUCCEEDED,
                created_by=user,
            )
            job.save()
            jobs.append((job, version))
    return jobs


def load(n: int, *, seed: int = 20261123) -> None:
    """Fill the database with n pairs of tenant 'bench' and a few collections."""
    user = bench_user()
    jobs = _small_objects(user)
    rng = random.Random(seed)
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    sources, source_weights = zip(*SOURCE_WEIGHTS.items(), strict=True)
    now = datetime.now(UTC)
    record_indexes = {job.pk: 0 for job, _ in jobs}

    with connection.cursor() as cursor:
        copy_sql = f"COPY qa_app_qapair ({', '.join(PAIR_COLUMNS)}) FROM STDIN"
        with cursor.connection.cursor().copy(copy_sql) as copy:
            for number in tqdm(range(n), desc="QA pairs (COPY)", unit="pair", unit_scale=True, mininterval=1):
                question = f"Q{number}: {_text(rng, 110)}?"
                answer = _text(rng, 400)
                context = _text(rng, 300)
                status = rng.choices(statuses, status_weights)[0]
                source = rng.choices(sources, source_weights)[0]
                synthetic = source == "synthetic"
                job, version = rng.choice(jobs) if synthetic else (None, None)
                record_index = None
                lineage = {}
                if synthetic:
                    record_index = record_indexes[job.pk]
                    record_indexes[job.pk] += 1
                    lineage = {
                        "job": job.pk,
                        "template": version.template.key,
                        "template_version": 1,
                        "template_content_sha256": version.content_sha256,
                        "chapter": "bench",
                        "subchapter": "scale",
                        "generator": "template",
                        "seed": 0,
                        "record_index": record_index,
                        "variables": {"topic": rng.choice(WORDS), "level": rng.randint(1, 5)},
                    }
                elif source == "imported":
                    lineage = {"file_name": "bench.jsonl", "line": number, "chapter": "bench", "subchapter": "scale"}
                reviewed = status != "pending"
                content_hash = normalised_content_hash(question, answer, context)
                copy.write_row(
                    (
                        question,
                        answer,
                        context,
                        json.dumps({"system_prompt": "You are a precise assistant.", "difficulty": "medium"}),
                        json.dumps([rng.choice(WORDS)]),
                        "en",
                        TENANT,
                        source,
                        content_hash,
                        status,
                        user.pk if reviewed else None,
                        now if reviewed else None,
                        "not grounded in the context" if status == "rejected" else "",
                        round(rng.random(), 3),
                        "{}",
                        "[]",
                        job.pk if job else None,
                        version.pk if version else None,
                        record_index,
                        json.dumps(lineage),
                        *lineage_taxonomy(lineage),
                        False,
                        now,
                        now,
                    )
                )
    _collections(user)
    with connection.cursor() as cursor:
        # What autovacuum does to a freshly loaded table; until then no index-only scans.
        cursor.execute("VACUUM ANALYZE qa_app_qapair")
        cursor.execute("VACUUM ANALYZE collections_app_membership")
    Collection.objects.create(slug=FIXTURE_MARKER, name=f"{n} pairs", created_by=user, tenant_id=TENANT)


def _collections(user) -> None:
    """The export collection holds every approved pair; two smaller ones look like real curation."""
    definitions = [
        (EXPORT_COLLECTION, Collection.Purpose.TRAINING, "p.review_status = 'approved'"),
        ("bench-train-sample", Collection.Purpose.TRAINING, "p.review_status = 'approved' AND p.id %% 5 = 0"),
        ("bench-eval", Collection.Purpose.EVALUATION, "p.review_status = 'approved' AND p.source = 'operator'"),
    ]
    with connection.cursor() as cursor:
        for slug, purpose, condition in definitions:
            collection = Collection.objects.create(
                slug=slug, name=slug, purpose=purpose, created_by=user, seed=11, tenant_id=TENANT
            )
            cursor.execute(
                "INSERT INTO collections_app_membership"
                " (collection_id, qa_pair_id, split, weight, added_by_id, added_at)"
                f" SELECT %s, p.id, '', 1.0, %s, now() FROM qa_app_qapair p WHERE p.tenant_id = %s AND {condition}",
                [collection.pk, user.pk, TENANT],
            )
