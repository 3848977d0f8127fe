"""Optional LLM-as-judge: a model scores each generated pair against the version's judge_rubric.

A job opts in with `"judge_profile": "<GeneratorProfile name>"` in its generator_config. The judge's
score and rationale are stored on the pair as `scores["llm_judge"]`, marked `"made_by": "model"`,
and are never folded into the deterministic quality_score. A judge never decides anything: a
failed judgement (malformed reply, score out of range, HTTP error after the retries, timeout,
connection refused) keeps the pair, pending like every other, flagged `judge_failed` for a person.
"""

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from qa_app.assessment import LLM_JUDGE_SCORE  # noqa: F401  (the key of the judgement in a pair's scores)

from .generators.base import JUDGE_PROFILE_KEY
from .generators.openai_client import (
    completion_with_retries,
    describe_failure,
    missing_key_variable,
    open_client,
    parse_json_object,
    profile_controller,
    token_usage,
)
from .generators.rate import limiter_for
from .generators.usage import judge_usage_totals
from .models import GeneratorProfile

logger = logging.getLogger(__name__)

JUDGE_FAILED = "judge_failed"
VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "rationale": {"type": "string"},
    },
    "required": ["score", "rationale"],
    "additionalProperties": False,
}
JUDGE_INSTRUCTIONS = (
    "You are a strict reviewer of question/answer pairs meant as training data. The user message is one pair "
    "as JSON (question, answer, and the context it may rely on). Score how well the pair meets the rubric "
    "below, from 0 (fails it) to 1 (fully meets it), and give a short rationale a reviewer can check.\n\n"
    "Rubric:\n"
)
SCHEMA_INSTRUCTION = "\n\nReply with one JSON object, and nothing else, that matches this JSON Schema:\n"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judge's word on one record: a judgement, or why there is none. `usage` holds the call's tokens."""

    judgement: dict | None
    failure: str = ""
    usage: dict | None = None

    @property
    def flag(self) -> dict | None:
        return {"code": JUDGE_FAILED, "message": self.failure} if self.judgement is None else None


def parse_verdict(content: str | None) -> tuple[dict | None, str]:
    """Score and rationale of a reply, or None and why the reply is malformed."""
    reply, problem = parse_json_object(content)
    if reply is None:
        return None, problem
    score, rationale = reply.get("score"), reply.get("rationale")
    if isinstance(score, bool) or not isinstance(score, int | float):
        return None, f"the reply's score must be a number from 0 to 1; got {json.dumps(score)}"
    if not 0 <= score <= 1:
        return None, f"the reply's score {score} is outside 0..1"
    if not isinstance(rationale, str) or not rationale.strip():
        return None, f"the reply's rationale must be non-empty text; got {json.dumps(rationale)}"
    return {"score": round(float(score), 4), "rationale": rationale.strip()}, ""


class LLMJudge:
    """Scores records against a rubric through one GeneratorProfile, at most `profile.concurrency` requests at a time
    (the profile's adaptive concurrency decides how many)."""

    def __init__(self, profile: GeneratorProfile, rubric: str):
        self.profile = profile
        instructions = JUDGE_INSTRUCTIONS + rubric.strip()
        if profile.structured_output:
            self.response_format = {
                "type": "json_schema",
                "json_schema": {"name": "verdict", "schema": VERDICT_SCHEMA, "strict": False},
            }
            self.system_message = instructions
        else:
            self.response_format = {"type": "json_object"}
            self.system_message = instructions + SCHEMA_INSTRUCTION + json.dumps(VERDICT_SCHEMA)
        self.limiter = limiter_for(profile.name, profile.requests_per_minute) if profile.requests_per_minute else None
        # Shared with a generator on the same profile in this process: one server, one concurrency.
        self.controller = profile_controller(profile)

    def judge_many(self, records: list[tuple[int, dict]]) -> dict[int, Verdict]:
        """A Verdict per record_index; never raises for what the server or the model did."""
        if not records:
            return {}
        # Checked here, not only at trigger: the worker's environment is not the one the job was triggered from.
        if missing := missing_key_variable(self.profile):
            return {index: Verdict(None, f"judge profile {self.profile.name!r}: {missing}") for index, _ in records}
        transport_failure = _FirstFailure()
        with open_client(self.profile) as client:
            workers = min(self.profile.concurrency, len(records))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge") as pool:
                futures = {
                    index: pool.submit(self._judge_one, client, transport_failure, record) for index, record in records
                }
                return {index: self._settle(future) for index, future in futures.items()}

    def _settle(self, future) -> Verdict:
        try:
            return future.result()
        except Exception as exc:  # A judge never fails the job: whatever broke is shown to a reviewer.
            logger.exception("LLM judge with profile %s failed", self.profile.name)
            return Verdict(None, f"the judge failed: {type(exc).__name__}: {exc}")

    def _judge_one(self, client, transport_failure: "_FirstFailure", record: dict) -> Verdict:
        from openai import OpenAIError

        if earlier := transport_failure.message:
            # The server is down or refusing: the rest of the batch is not sent to retry in turn.
            return Verdict(None, f"not sent, an earlier judge request failed: {earlier}")
        pair = {"question": record["question"], "answer": record["answer"], "context": record.get("context", "")}
        messages = [
            {"role": "system", "content": self.system_message},
            {"role": "user", "content": json.dumps(pair, ensure_ascii=False)},
        ]
        try:
            completion, latency_ms = completion_with_retries(
                client,
                profile=self.profile,
                controller=self.controller,
                limiter=self.limiter,
                faults=[],
                model=self.profile.model,
                messages=messages,
                temperature=self.profile.temperature,
                max_tokens=self.profile.max_tokens,
                response_format=self.response_format,
            )
        except OpenAIError as exc:
            message = describe_failure(self.profile, exc)
            transport_failure.record(message)
            return Verdict(None, message)
        usage = {"latency_ms": latency_ms, **token_usage(completion)}
        where = f"judge profile {self.profile.name!r}"
        if not completion.choices:
            return Verdict(None, f"{where}: the reply has no choices", usage)
        choice = completion.choices[0]
        judged, problem = parse_verdict(choice.message.content)
        if judged is None:
            if choice.finish_reason == "length":
                problem += f" (cut off at max_tokens={self.profile.max_tokens})"
            return Verdict(None, f"{where}: {problem}", usage)
        return Verdict(
            {**judged, "model": completion.model, "made_by": "model", "profile": self.profile.name}, "", usage
        )


class UnavailableJudge:
    """Stands in when the judge profile vanished after the trigger: every record is flagged, none rejected."""

    def __init__(self, message: str):
        self.message = message

    def judge_many(self, records: list[tuple[int, dict]]) -> dict[int, Verdict]:
        return {index: Verdict(None, self.message) for index, _ in records}


class _FirstFailure:
    """The first transport failure of a batch, shared by its request threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.message = ""

    def record(self, message: str) -> None:
        with self._lock:
            self.message = self.message or message


def judge_for_job(job) -> LLMJudge | UnavailableJudge | None:
    """The judge the job asked for in its generator_config, or None when it asked for none."""
    name = (job.generator_config or {}).get(JUDGE_PROFILE_KEY)
    if not name:
        return None
    profile = GeneratorProfile.objects.filter(name=name).first()
    if profile is None:
        return UnavailableJudge(f"no generator profile named {name!r} to judge with (deleted since the trigger?)")
    return LLMJudge(profile, job.template_version.judge_rubric)


def judge_usage(job) -> dict | None:
    """The judge's token usage for the job's manifest; None for jobs without a judge."""
    return judge_usage_totals(job) if (job.generator_config or {}).get(JUDGE_PROFILE_KEY) else None
