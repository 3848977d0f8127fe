"""What every generator backend offers the pipeline: a whole batch in, one outcome per record out."""

from dataclasses import dataclass, field

from .openai_client import profile_problem

# Any backend's generator_config may name a GeneratorProfile that judges the pairs (jobs_app/judge.py).
JUDGE_PROFILE_KEY = "judge_profile"


@dataclass(slots=True)
class Generated:
    """The outcome of generating one record.

    `record` holds question/answer/context/system_prompt (and prompt for LLM backends) when
    generation succeeded; otherwise `reasons` say why not ({"code", "message"}) and `raw` keeps
    what the backend answered, for the rejected artifact. `metadata` (token usage, latency,
    model) goes into the pair's metadata or the artifact's payload.
    """

    record_index: int
    record: dict | None
    reasons: list[dict] = field(default_factory=list)
    raw: str | None = None
    metadata: dict = field(default_factory=dict)
    # Set by the pipeline, not by backends: the LLM judge's Verdict on a record that passed validation.
    verdict: object | None = None


class BackendUnavailable(Exception):
    """The backend cannot serve this job (server down, retries exhausted, key refused): fail the job."""


def reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def judge_config_problems(config: dict, version=None) -> list[str]:
    """What stops the job's judge_profile (if any) from judging: the profile, its key, the version's rubric."""
    if JUDGE_PROFILE_KEY not in config:
        return []
    name = config[JUDGE_PROFILE_KEY]
    problems = []
    if not isinstance(name, str) or not name:
        problems.append(f'{JUDGE_PROFILE_KEY} must name a generator profile: {{"{JUDGE_PROFILE_KEY}": "<name>"}}')
    elif problem := profile_problem(name):
        problems.append(f"{JUDGE_PROFILE_KEY}: {problem}")
    if version is not None and not version.judge_rubric.strip():
        problems.append(f"{version} has no judge_rubric for the judge to score against; add one in a new draft")
    return problems


class Generator:
    """A backend chosen per job by `name`; built once per job run with the job's version and config."""

    name: str
    # Backends that call a model record token usage per record; the job manifest sums it.
    reports_usage = False
    # Backends whose batch is spent waiting on a server: the shard generates the next batch while it
    # commits the current one (jobs_app/batches.py). Offline backends gain nothing from a thread.
    waits_on_network = False

    def __init__(self, version, config: dict):
        self.version = version
        self.config = config

    def batch_size(self, default: int) -> int:
        """Records per committed batch. A batch is also the heartbeat interval, so a slow backend
        keeps it small enough to report well within SYNTHGOV_SHARD_STALE_SECONDS."""
        return default

    @classmethod
    def config_problems(cls, config: dict, version=None) -> list[str]:
        """What is wrong with a job's generator_config for this backend, checked at trigger time."""
        unknown = sorted(set(config) - {JUDGE_PROFILE_KEY})
        problems = (
            [f"the {cls.name} generator takes no generator_config but {JUDGE_PROFILE_KEY}; got {', '.join(unknown)}"]
            if unknown
            else []
        )
        return problems + judge_config_problems(config, version)

    def generate_many(self, items: list[tuple[int, dict]]) -> list[Generated]:
        """One Generated per (record_index, variables) item, in the order given."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds for the run (connections); called once the shard run ends."""
