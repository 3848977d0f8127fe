"""Input that would reach outside the system is refused over the API with a 400 naming the field."""

from templates_app.models import TemplateVersion
from tests.factories import PromptTemplateFactory

VERSIONS = "/api/v1/template-versions/"
LOCAL_FILE = "file:///etc/passwd"


def test_api_create_with_a_remote_ref_answers_400_on_output_schema(api, author):
    template = PromptTemplateFactory()
    body = {
        "template": template.pk,
        "question_template": "What is {{ a }} plus {{ b }}?",
        "answer_template": "{{ a + b }}",
        "variables": {name: {"sampler": "int_range", "min": 1, "max": 9} for name in ("a", "b")},
        "output_schema": {"$ref": LOCAL_FILE},
    }

    response = api(author).post(VERSIONS, body, format="json")

    assert response.status_code == 400
    (problem,) = response.json()["output_schema"]
    assert LOCAL_FILE in problem
    assert not TemplateVersion.objects.filter(template=template).exists()
