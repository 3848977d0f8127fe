"""Generator backends, chosen per job by name."""

from templates_app.rendering import CompiledVersion


class TemplateGenerator:
    """Renders question, answer and context from sampled variables: offline and deterministic."""

    name = "template"

    def __init__(self, version, config: dict):
        self.compiled = CompiledVersion.compile(version)

    fields = ("question", "answer", "context", "system_prompt")

    def generate(self, variables: dict) -> dict:
        # The `prompt` field is for LLM backends; this backend renders the record directly.
        return self.compiled.render(variables, self.fields)


GENERATORS = {TemplateGenerator.name: TemplateGenerator}
