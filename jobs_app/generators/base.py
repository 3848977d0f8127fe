"""What every generator backend offers the pipeline: a whole batch in, one outcome per record out."""

from dataclasses import dataclass, field


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


class BackendUnavailable(Exception):
    """The backend cannot serve this job (server down, retries exhausted, key refused): fail the job."""


def reason(code: str, message: str) -> dict:
    return {"code": code, "message": message}


class Generator:
    """A backend chosen per job by `name`; built once per job run with the job's version and config."""

    name: str
    # Backends that call a model record token usage per record; the job manifest sums it.
    reports_usage = False

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
        return (
            [f"the {cls.name} generator takes no generator_config; got {', '.join(sorted(config))}"] if config else []
        )

    def generate_many(self, items: list[tuple[int, dict]]) -> list[Generated]:
        """One Generated per (record_index, variables) item, in the order given."""
        raise NotImplementedError
