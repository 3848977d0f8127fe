"""What can go wrong: a spec that is invalid as a whole, or one record that cannot be sampled."""


class SpecError(ValueError):
    """The variables spec cannot be sampled; `problems` holds one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class SamplingError(Exception):
    """One record's variables could not be sampled; `variables` holds those sampled before."""

    def __init__(self, message: str, variables: dict | None = None):
        super().__init__(message)
        self.variables = dict(variables or {})
