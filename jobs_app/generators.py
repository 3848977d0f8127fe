"""Generator backends, chosen per job by name."""

from templates_app.rendering import CompiledVersion


class TemplateGenerator:
    """Renders question, answer and context from sampled variables: offline and deterministic."""

    name = "template"

    def __init__(self, version, config: dict):
        self.compiled = CompiledVersion.compile(version)

    def generate(self, variables: dict) -> dict:
        rendered = self.compiled.render(variables)
        return {field: rendered[field] for field in ("question", "answer", "context", "system_prompt")}


GENERATORS = {TemplateGenerator.name: TemplateGenerator}
