"""Demo data for `make run`: a small taxonomy, three templates, one finished job.

Every step goes through the services, so the demo is governed like real data, and every
step is idempotent (keys and idempotency keys), so loading it twice changes nothing.
"""

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from collections_app.models import Collection
from collections_app.services import collection_save
from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_run, job_trigger
from templates_app.models import Chapter, PromptTemplate, Subchapter, TemplateVersion
from templates_app.services import prompt_template_save, template_version_publish, template_version_save_draft
from tenants_app.services import tenant_create, tenant_membership_add

from .roles import role_grant

DEMO_TENANT = "demo"
DEMO_JOB_KEY = "demo-initial-job"
DEMO_JOB_TEMPLATE = "addition-word-problems"

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


# One demo user per role, so four-eyes publishing, review and curation can be tried at once.
DEMO_USERS = {
    "demo-author": "Template authors",
    "demo-approver": "Approvers",
    "demo-operator": "Operators",
    "demo-reviewer": "Reviewers",
    "demo-curator": "Curators",
    "demo-client": "API clients",
}
DEMO_PASSWORD_FILE = "demo-password.txt"


def demo_password() -> str:
    """The one password of every demo user, generated once and kept under var/ so it can be shown again."""
    password_file = settings.VAR_DIR / DEMO_PASSWORD_FILE
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12) + "\n")
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def ensure_demo_users(*, password: str) -> dict[str, object]:
    """Create the demo users that are missing; an existing one keeps its groups and password
    (only a demo user left without a usable password, as older demo data made them, gets one).
    Every demo user is a member of the demo tenant."""
    users = {}
    tenant = tenant_create(acting_user=None, key=DEMO_TENANT, name="Demo")
    for username, role in DEMO_USERS.items():
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "last_name": role.removesuffix("s")}
        )
        if created:
            role_grant(user=user, role=role)
        if created or not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
        tenant_membership_add(acting_user=None, tenant=tenant, user=user)
        users[username] = user
    return users


@dataclass
class DemoOutcome:
    """What `load_demo` created; what existed already was left exactly as it was."""

    templates_created: list[str] = field(default_factory=list)
    job: GenerationJob | None = None
    job_created: bool = False
    notes: list[str] = field(default_factory=list)


@transaction.atomic
def load_demo() -> DemoOutcome:
    """Create whatever of the demo data is missing and touch nothing that exists, so `make run`
    starts whatever a user did to the demo since (published, archived, edited, deleted)."""
    users = ensure_demo_users(password=demo_password())
    author, approver, operator = users["demo-author"], users["demo-approver"], users["demo-operator"]
    outcome = DemoOutcome()
    subchapters = {}
    for (chapter_key, chapter_title), subs in TAXONOMY.items():
        chapter, _ = Chapter.objects.get_or_create(key=chapter_key, defaults={"title": chapter_title})
        for key, title in subs:
            subchapters[key], _ = Subchapter.objects.get_or_create(chapter=chapter, key=key, defaults={"title": title})

    for spec in TEMPLATES:
        if PromptTemplate.objects.filter(key=spec["key"]).exists():
            continue
        template = prompt_template_save(
            template=PromptTemplate(
                key=spec["key"],
                name=spec["name"],
                chapter=Chapter.objects.get(key=spec["chapter"]),
                subchapter=subchapters[spec["subchapter"]],
                description=spec["description"],
            ),
            acting_user=author,
        )
        outcome.templates_created.append(template.key)
        for version_spec in spec["versions"]:
            content = {key: value for key, value in version_spec.items() if key != "publish"}
            version = template_version_save_draft(
                version=TemplateVersion(template=template, **content), acting_user=author
            )
            if version_spec["publish"]:
                template_version_publish(version=version, acting_user=approver)

    outcome.job = GenerationJob.objects.filter(tenant_id=DEMO_TENANT, idempotency_key=DEMO_JOB_KEY).first()
    if outcome.job is None:
        current = PromptTemplate.objects.get(key=DEMO_JOB_TEMPLATE).current_version
        if current is None:
            outcome.notes.append(f"No demo job: template {DEMO_JOB_TEMPLATE!r} has no current approved version.")
        else:
            outcome.job, outcome.job_created = job_trigger(
                request=JobRequest(
                    template_version=current,
                    tenant_id=DEMO_TENANT,
                    record_count=200,
                    seed=42,
                    target_surface="training",
                    idempotency_key=DEMO_JOB_KEY,
                ),
                acting_user=operator,
            )
    if not Collection.objects.filter(slug="demo-training").exists():
        collection_save(
            collection=Collection(
                slug="demo-training",
                name="Demo training set",
                purpose=Collection.Purpose.TRAINING,
                tenant_id=DEMO_TENANT,
            ),
            acting_user=users["demo-curator"],
        )
    return outcome


def finish_demo_job(job: GenerationJob | None) -> GenerationJob | None:
    """Run a new demo job here and now, so the demo starts with pairs to review."""
    if job is not None and job.status == GenerationJob.Status.PENDING:
        return job_run(job_id=job.pk)
    return job
