"""Every governed change records who, when and why, in the service, whatever calls it.

Each service is called here as a command, a q2 task or the demo loader would: outside any request,
so simple-history's request middleware knows no user. The history row must still name the acting
user and the reason.
"""

import pytest

from collections_app import services as collection_services
from collections_app.models import Collection, Membership
from jobs_app.models import GenerationJob
from jobs_app.services import JobRequest, job_cancel, job_resume, job_trigger
from qa_app import services as qa_services
from qa_app.models import QAPair
from synthgov.demo import load_demo
from synthgov.errors import InvalidInput
from synthgov.history import MAX_REASON_CHARS, REASON_HAS_NUL, REASON_TOO_LONG
from templates_app import services as template_services
from templates_app.models import PromptTemplate, TemplateVersion

from .factories import CollectionFactory, QAPairFactory, TemplateVersionFactory


def _newest(instance):
    return type(instance).history.filter(id=instance.pk).order_by("-history_id").first()


def _job(version, user):
    job, _ = job_trigger(
        request=JobRequest(template_version=version, tenant_id="acme", record_count=5, target_surface="training"),
        acting_user=user,
    )
    return job


def template_create(users, approved_version):
    template = PromptTemplate(key="percentages", name="Percentages", chapter=approved_version.template.chapter)
    return template_services.prompt_template_save(template=template, acting_user=users["author"]), "author"


def template_change(users, approved_version):
    template = approved_version.template
    template.description = "Sums of two numbers."
    return template_services.prompt_template_save(
        template=template, acting_user=users["author"], reason="clearer"
    ), "author"


def save_draft(users, approved_version):
    draft = TemplateVersionFactory.build(template=approved_version.template, author=None, version=None)
    return template_services.template_version_save_draft(version=draft, acting_user=users["author"]), "author"


def edit_draft(users, approved_version):
    draft = template_services.template_version_new_draft(version=approved_version, acting_user=users["author"])
    draft.system_prompt = "Answer with digits."
    return template_services.template_version_save_draft(version=draft, acting_user=users["author"]), "author"


def new_draft(users, approved_version):
    return template_services.template_version_new_draft(version=approved_version, acting_user=users["author"]), "author"


def publish(users, approved_version):
    return approved_version, "approver"


def publish_archives_the_previous(users, approved_version):
    draft = template_services.template_version_new_draft(version=approved_version, acting_user=users["author"])
    template_services.template_version_publish(version=draft, acting_user=users["approver"])
    return approved_version, "approver"


def archive(users, approved_version):
    version = template_services.template_version_archive(
        version=approved_version, acting_user=users["approver"], reason="superseded by the metric template"
    )
    return version, "approver"


def trigger(users, approved_version):
    return _job(approved_version, users["operator"]), "operator"


def cancel(users, approved_version):
    job = job_cancel(job=_job(approved_version, users["operator"]), acting_user=users["operator"], reason="wrong seed")
    return job, "operator"


def resume(users, approved_version):
    job = job_cancel(job=_job(approved_version, users["operator"]), acting_user=users["operator"])
    return job_resume(job=job, acting_user=users["operator"], reason="the seed was right after all"), "operator"


def collection_create(users, approved_version):
    collection = Collection(slug="maths", name="Maths", tenant_id="acme")
    return collection_services.collection_save(collection=collection, acting_user=users["curator"]), "curator"


def collection_change(users, approved_version):
    collection = CollectionFactory()
    collection.name = "Arithmetic"
    return (
        collection_services.collection_save(collection=collection, acting_user=users["curator"], reason="renamed"),
        "curator",
    )


def collection_lift_synthetic_wall(users, approved_version):
    collection = CollectionFactory(purpose=Collection.Purpose.EVALUATION)
    collection.allow_synthetic_in_evaluation = True
    collection = collection_services.collection_save(
        collection=collection, acting_user=users["approver"], reason="the benchmark is synthetic by design"
    )
    return collection, "approver"


def add_members(users, approved_version):
    collection = CollectionFactory()
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    collection_services.collection_add_pairs(collection=collection, pairs=[pair], acting_user=users["curator"])
    return Membership.objects.get(collection=collection, qa_pair=pair), "curator"


def remove_members(users, approved_version):
    membership, _ = add_members(users, approved_version)
    collection_services.collection_remove_pairs(
        collection=membership.collection, pairs=[membership.qa_pair], acting_user=users["curator"]
    )
    return membership, "curator"


def release(users, approved_version):
    collection = CollectionFactory(split_ratios={"train": 1.0})
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    collection_services.collection_add_pairs(collection=collection, pairs=[pair], acting_user=users["curator"])
    return collection_services.collection_release(collection=collection, acting_user=users["curator"]), "curator"


def pair_create(users, approved_version):
    return qa_services.qa_pair_create(pair=QAPairFactory.build(), acting_user=users["reviewer"]), "reviewer"


def pair_edit(users, approved_version):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    return qa_services.qa_pair_edit(pair=pair, acting_user=users["reviewer"], answer="Forty-two."), "reviewer"


def pair_reopen(users, approved_version):
    pair = QAPairFactory(review_status=QAPair.ReviewStatus.APPROVED)
    return qa_services.qa_pair_reopen(pair=pair, acting_user=users["reviewer"], reason="check the sum"), "reviewer"


CASES = [
    (template_create, "+", "created"),
    (template_change, "~", "changed: clearer"),
    (save_draft, "+", "draft created"),
    (edit_draft, "~", "draft saved"),
    (new_draft, "+", "new draft from version {version}"),
    (publish, "~", "published"),
    (publish_archives_the_previous, "~", "archived: version {next_version} was published"),
    (archive, "~", "archived: superseded by the metric template"),
    (trigger, "+", "triggered"),
    (cancel, "~", "cancelled: wrong seed"),
    (resume, "~", "resumed: the seed was right after all"),
    (collection_create, "+", "created"),
    (collection_change, "~", "changed: renamed"),
    (collection_lift_synthetic_wall, "~", "changed, synthetic wall lifted: the benchmark is synthetic by design"),
    (add_members, "+", "added"),
    (remove_members, "-", "removed"),
    (release, "~", "published"),
    (pair_create, "+", "created"),
    (pair_edit, "~", "edited: content edited after approval"),
    (pair_reopen, "~", "reopened: check the sum"),
]


@pytest.fixture
def users(author, approver, operator, curator, make_user):
    reviewer = make_user("pair-editor", "Reviewers", "Operators")
    return {"author": author, "approver": approver, "operator": operator, "curator": curator, "reviewer": reviewer}


@pytest.mark.parametrize(("change", "history_type", "reason"), CASES, ids=[case[0].__name__ for case in CASES])
def test_every_governed_change_records_the_acting_user_and_the_reason_outside_a_request(
    change, history_type, reason, users, approved_version
):
    instance, who = change(users, approved_version)

    newest = _newest(instance)
    assert (newest.history_type, newest.history_user, newest.history_change_reason) == (
        history_type,
        users[who],
        reason.format(version=approved_version.version, next_version=approved_version.version + 1),
    )


def test_a_release_records_who_started_building_it(users, approved_version):
    made, _ = release(users, approved_version)

    first = made.history.order_by("history_id").first()
    assert (first.history_type, first.history_user, first.history_change_reason) == ("+", users["curator"], "building")


def test_a_job_finished_by_a_worker_records_no_user_and_what_happened(run_job, approved_version):
    job = run_job(approved_version, record_count=3)

    reasons = list(job.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert reasons[-2:] == [("started", None), ("succeeded", None)]


def test_lifting_the_synthetic_wall_without_a_reason_is_refused(approver):
    collection = CollectionFactory(purpose=Collection.Purpose.EVALUATION)
    collection.allow_synthetic_in_evaluation = True

    with pytest.raises(InvalidInput) as refused:
        collection_services.collection_save(collection=collection, acting_user=approver)

    assert (refused.value.field, refused.value.message) == ("reason", collection_services.WALL_LIFT_NEEDS_REASON)
    collection.refresh_from_db()
    assert collection.allow_synthetic_in_evaluation is False


def test_an_evaluation_collection_that_already_admits_synthetic_pairs_saves_without_a_reason(curator):
    collection = CollectionFactory(purpose=Collection.Purpose.EVALUATION, allow_synthetic_in_evaluation=True)
    collection.name = "Renamed"

    collection_services.collection_save(collection=collection, acting_user=curator)

    assert _newest(collection).history_change_reason == "changed"


def test_archive_refuses_an_over_long_reason(approved_version, approver):
    with pytest.raises(InvalidInput) as refused:
        template_services.template_version_archive(
            version=approved_version, acting_user=approver, reason="x" * (MAX_REASON_CHARS + 1)
        )

    assert refused.value.message == REASON_TOO_LONG.format(limit=MAX_REASON_CHARS, length=MAX_REASON_CHARS + 1)
    approved_version.refresh_from_db()
    assert approved_version.status == "approved"


def test_cancel_refuses_a_reason_with_a_nul_character(approved_version, operator):
    job = _job(approved_version, operator)

    with pytest.raises(InvalidInput) as refused:
        job_cancel(job=job, acting_user=operator, reason="wrong\x00seed")

    assert (refused.value.field, refused.value.message) == ("reason", REASON_HAS_NUL)
    job.refresh_from_db()
    assert job.status == "pending"


def test_a_long_reason_within_the_cap_is_stored_whole(approved_version, approver):
    reason = "r" * MAX_REASON_CHARS

    template_services.template_version_archive(version=approved_version, acting_user=approver, reason=reason)

    assert _newest(approved_version).history_change_reason == f"archived: {reason}"


def test_the_demo_loader_records_who_made_each_governed_object(db):
    load_demo()

    for model in (PromptTemplate, TemplateVersion, GenerationJob, Collection):
        assert model.history.exists(), model.__name__
        assert not model.history.filter(history_user=None).exists(), model.__name__
