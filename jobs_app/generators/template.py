from templates_app.rendering import CompiledVersion, TemplateRenderError

from .base import Generated, Generator, reason


class TemplateGenerator(Generator):
    """Renders question, answer and context from sampled variables: offline and deterministic."""

    name = "template"
    # The `prompt` field is for LLM backends; this backend renders the record directly.
    fields = ("question", "answer", "context", "system_prompt")

    def __init__(self, version, config: dict):
        super().__init__(version, config)
        self.compiled = CompiledVersion.compile(version)

    def generate_many(self, items: list[tuple[int, dict]]) -> list[Generated]:
        render, fields = self.compiled.render, self.fields
        results = []
        for record_index, variables in items:
            try:
                results.append(Generated(record_index, render(variables, fields)))
            except TemplateRenderError as exc:
                results.append(Generated(record_index, None, [reason("render", str(exc))]))
        return results
