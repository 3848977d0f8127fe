"""Demo data for `make run`: a small taxonomy, three templates, one finished job.

Every step goes through the services, so the demo is governed like real data, and every
step is idempotent (keys and idempotency keys), so loading it twice changes nothing.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from collections_app.models import Collection
from jobs_app.services import JobRequest, job_run, job_trigger
from templates_app.models import Chapter, PromptTemplate, Subchapter, TemplateVersion
from templates_app.services import template_version_publish, template_version_save_draft

DEMO_TENANT = "demo"
DEMO_JOB_KEY = "demo-initial-job"

ANSWER_SCHEMA = {
    "type": "object",
    "required": ["question", "answer"],
    "properties": {
        "question": {"type": "string", "minLength": 10},
        "answer": {"type": "string", "minLength": 1, "maxLength": 200},
        "context": {"type": "string"},
    },
}
NUMBER_ANSWER_SCHEMA = {
    **ANSWER_SCHEMA,
    "properties": {**ANSWER_SCHEMA["properties"], "answer": {"type": "string", "pattern": "^[0-9]+$"}},
}

SUM_VARIABLES = {
    "a": {"sampler": "int_range", "min": 1, "max": 999},
    "b": {"sampler": "int_range", "min": 1, "max": 999},
    "name": {"sampler": "choice", "values": ["Ada", "Grace", "Alan", "Edsger"]},
}
MATHS_TUTOR = "You are a careful maths tutor. Answer with the number only."

TAXONOMY = {
    ("arithmetic", "Arithmetic"): [("addition", "Addition"), ("multiplication", "Multiplication")],
    ("geography", "Geography"): [("capitals", "Capital cities")],
}

TEMPLATES = [
    {
        "key": "addition-word-problems",
        "name": "Addition word problems",
        "chapter": "arithmetic",
        "subchapter": "addition",
        "description": "Planted ground truth: the answer is the sum of two sampled integers.",
        "versions": [
            {
                "publish": True,
                "system_prompt": MATHS_TUTOR,
                "question_template": "{{ name }} has {{ a }} apples and buys {{ b }} more. "
                "How many apples does {{ name }} have now?",
                "answer_template": "{{ a + b }}",
                "context_template": "",
                "variables": SUM_VARIABLES,
                "output_schema": NUMBER_ANSWER_SCHEMA,
                "exemplars": [{"a": 2, "b": 3, "name": "Ada"}],
            },
            {
                # A second draft, left for an approver to publish in the admin.
                "publish": False,
                "system_prompt": MATHS_TUTOR,
                "question_template": "{{ name }} has {{ a }} {{ fruit }} and buys {{ b }} more. "
                "How many {{ fruit }} does {{ name }} have now?",
                "answer_template": "{{ a + b }}",
                "context_template": "",
                "variables": {
                    **SUM_VARIABLES,
                    "fruit": {"sampler": "choice", "values": ["apples", "pears", "plums"], "weights": [2, 1, 1]},
                },
                "output_schema": NUMBER_ANSWER_SCHEMA,
                "exemplars": [{"a": 2, "b": 3, "name": "Ada", "fruit": "pears"}],
            },
        ],
    },
    {
        "key": "multiplication-facts",
        "name": "Multiplication facts",
        "chapter": "arithmetic",
        "subchapter": "multiplication",
        "description": "Times tables up to 12 × 12.",
        "versions": [
            {
                "publish": True,
                "system_prompt": "",
                "question_template": "What is {{ a }} multiplied by {{ b }}?",
                "answer_template": "{{ a * b }}",
                "context_template": "",
                "variables": {
                    "a": {"sampler": "int_range", "min": 2, "max": 12},
                    "b": {"sampler": "int_range", "min": 2, "max": 12},
                },
                "output_schema": NUMBER_ANSWER_SCHEMA,
                "exemplars": [],
            }
        ],
    },
    {
        "key": "capital-cities",
        "name": "Capital cities",
        "chapter": "geography",
        "subchapter": "capitals",
        "description": "Question, context and answer drawn from one sampled record.",
        "versions": [
            {
                "publish": True,
                "system_prompt": "Answer with the name of the city.",
                "question_template": "What is the capital city of {{ place.country }}?",
                "answer_template": "{{ place.capital }}",
                "context_template": "{{ place.country }} is a country in {{ place.continent }}.",
                "variables": {
                    "place": {
                        "sampler": "choice",
                        "values": [
                            {"country": "France", "capital": "Paris", "continent": "Europe"},
                            {"country": "Japan", "capital": "Tokyo", "continent": "Asia"},
                            {"country": "Kenya", "capital": "Nairobi", "continent": "Africa"},
                            {"country": "Peru", "capital": "Lima", "continent": "South America"},
                            {"country": "Canada", "capital": "Ottawa", "continent": "North America"},
                        ],
                    }
                },
                "output_schema": ANSWER_SCHEMA,
                "exemplars": [],
            }
        ],
    },
]


def _demo_author():
    author, created = get_user_model().objects.get_or_create(
        username="demo-author", defaults={"first_name": "Demo", "last_name": "Author"}
    )
    if created:
        author.set_unusable_password()
        author.save()
        author.groups.add(Group.objects.get(name="Template authors"))
    return author


@transaction.atomic
def load_demo(*, approver) -> dict:
    """Create the demo taxonomy, templates and job; `approver` publishes (not the author)."""
    author = _demo_author()
    subchapters = {}
    for (chapter_key, chapter_title), subs in TAXONOMY.items():
        chapter, _ = Chapter.objects.get_or_create(key=chapter_key, defaults={"title": chapter_title})
        for key, title in subs:
            subchapters[key], _ = Subchapter.objects.get_or_create(chapter=chapter, key=key, defaults={"title": title})

    created_templates = 0
    for spec in TEMPLATES:
        template, created = PromptTemplate.objects.get_or_create(
            key=spec["key"],
            defaults={
                "name": spec["name"],
                "chapter": Chapter.objects.get(key=spec["chapter"]),
                "subchapter": subchapters[spec["subchapter"]],
                "description": spec["description"],
            },
        )
        if not created:
            continue
        created_templates += 1
        for version_spec in spec["versions"]:
            content = {key: value for key, value in version_spec.items() if key != "publish"}
            version = template_version_save_draft(
                version=TemplateVersion(template=template, **content), acting_user=author
            )
            if version_spec["publish"]:
                template_version_publish(version=version, acting_user=approver)

    first_version = TemplateVersion.objects.get(template__key="addition-word-problems", version=1)
    job, job_created = job_trigger(
        request=JobRequest(
            template_version=first_version,
            tenant_id=DEMO_TENANT,
            record_count=200,
            seed=42,
            target_surface="training",
            idempotency_key=DEMO_JOB_KEY,
        ),
        acting_user=approver,
    )
    Collection.objects.get_or_create(
        slug="demo-training",
        defaults={"name": "Demo training set", "purpose": Collection.Purpose.TRAINING, "created_by": approver},
    )
    return {"templates_created": created_templates, "job": job.pk, "job_created": job_created}


def finish_demo_job() -> None:
    """Run the demo job here and now, so the demo starts with pairs to review."""
    from jobs_app.models import GenerationJob

    job = GenerationJob.objects.get(tenant_id=DEMO_TENANT, idempotency_key=DEMO_JOB_KEY)
    job_run(job_id=job.pk)
