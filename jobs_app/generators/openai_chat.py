"""The `openai` backend: any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp, OpenAI).

Connection settings come from a GeneratorProfile; the API key only from the environment variable
the profile names. Requests run at the profile's adaptive concurrency (aimd.py: between
min_concurrency and concurrency, lower on 429/5xx/timeouts, higher while replies are fast).
Transient errors (429, 5xx, timeouts, connection errors) are retried with backoff that honours
Retry-After (openai_client.completion_with_retries); once retries are exhausted, or on a
permanent error, the backend raises BackendUnavailable and the job fails with that message.
"""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from templates_app.rendering import RECORD_FIELDS, CompiledVersion, TemplateRenderError

from ..models import GeneratorProfile
from .base import JUDGE_PROFILE_KEY, BackendUnavailable, Generated, Generator, judge_config_problems, reason
from .concurrency_log import ConcurrencyReport
from .early_stop import EarlyStopRule
from .openai_client import (
    completion_with_retries,
    describe_failure,
    missing_key_variable,
    open_client,
    parse_json_object,
    profile_controller,
    profile_problem,
    token_usage,
)
from .rate import limiter_for

# Per-job overrides of the profile: (accepted types, lowest, highest).
CONFIG_OVERRIDES = {"temperature": (int | float, 0, 2), "max_tokens": (int, 1, 1_000_000)}
SCHEMA_INSTRUCTION = "Reply with one JSON object, and nothing else, that matches this JSON Schema:\n"


def reply_schema(output_schema: dict) -> dict:
    """The version's output_schema, completed with what every record is: an object of string fields."""
    properties = dict(output_schema.get("properties") or {})
    for name in RECORD_FIELDS:
        properties[name] = {"type": "string", **properties.get(name, {})}
    required = list(dict.fromkeys([*(output_schema.get("required") or []), "question", "answer"]))
    return {**output_schema, "type": "object", "properties": properties, "required": required}


def parse_reply(content: str | None) -> tuple[dict | None, str]:
    """The record fields of a reply, or None and why the reply is malformed."""
    reply, problem = parse_json_object(content)
    if reply is None:
        return None, problem
    missing = [name for name in ("question", "answer") if name not in reply]
    if missing:
        return None, f"the reply has no {' and no '.join(missing)}"
    wrong = [name for name in RECORD_FIELDS if name in reply and not isinstance(reply[name], str)]
    if wrong:
        return None, f"{', '.join(wrong)} must be text; the reply has {', '.join(json.dumps(reply[n]) for n in wrong)}"
    return reply, ""


LLM_ROUNDS_PER_BATCH = 4


class OpenAIChatGenerator(Generator):
    """Sends the rendered system prompt and prompt of each record, asks for JSON matching output_schema."""

    name = "openai"
    reports_usage = True
    waits_on_network = True
    fields = ("system_prompt", "prompt")

    @classmethod
    def config_problems(cls, config: dict, version=None) -> list[str]:
        problems = []
        unknown = sorted(set(config) - {"profile", JUDGE_PROFILE_KEY, *CONFIG_OVERRIDES})
        if unknown:
            allowed = ", ".join(["profile", *CONFIG_OVERRIDES, JUDGE_PROFILE_KEY])
            problems.append(f"unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
        for key, (types, low, high) in CONFIG_OVERRIDES.items():
            value = config.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, types) or not low <= value <= high:
                kind = "a whole number" if types is int else "a number"
                problems.append(f"{key} must be {kind} from {low} to {high}; got {value!r}")
        name = config.get("profile")
        if not name:
            problems.append('the openai generator needs a profile: {"profile": "<generator profile name>"}')
        elif problem := profile_problem(str(name)):
            problems.append(problem)
        if version is not None and not version.prompt.strip():
            problems.append(f"{version} has no prompt, which the openai generator sends as the user message")
        return problems + judge_config_problems(config, version)

    def __init__(self, version, config: dict):
        super().__init__(version, config)
        profile = GeneratorProfile.objects.filter(name=config.get("profile")).first()
        if profile is None:
            raise BackendUnavailable(f"openai generator: no generator profile named {config.get('profile')!r}")
        # Checked again here: the worker's environment is not the one the job was triggered from.
        if missing := missing_key_variable(profile):
            raise BackendUnavailable(f"openai profile {profile.name!r}: {missing} where the job runs")
        self.profile = profile
        self.compiled = CompiledVersion.compile(version)
        self.temperature = config.get("temperature", profile.temperature)
        self.max_tokens = config.get("max_tokens", profile.max_tokens)
        schema = reply_schema(version.output_schema or {})
        if profile.structured_output:
            self.response_format = {
                "type": "json_schema",
                "json_schema": {"name": "record", "schema": schema, "strict": False},
            }
            self.schema_instruction = ""
        else:
            self.response_format = {"type": "json_object"}
            self.schema_instruction = SCHEMA_INSTRUCTION + json.dumps(schema)
        self.limiter = limiter_for(profile.name, profile.requests_per_minute) if profile.requests_per_minute else None
        self.controller = profile_controller(profile)
        self.early_stop_rule = EarlyStopRule.from_profile(profile)
        self._report_lock = threading.Lock()
        self._faults: Counter = Counter()
        # The limit this run starts from (learnt by earlier batches of the process, or the profile's concurrency).
        self._changes = [(time.time(), self.controller.limit, "start", None)]
        self._read_sequence = self.controller.sequence
        self._client = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def take_report(self) -> ConcurrencyReport:
        """The concurrency changes and faults since the last report (the pipeline stores them per batch)."""
        changes = self.controller.changes_since(self._read_sequence)
        # Changes carry the controller's monotonic clock; the job's series is in wall-clock offsets.
        wall_minus_monotonic = time.time() - self.controller.clock()
        with self._report_lock:
            if changes:
                self._read_sequence = changes[-1].sequence
            report = ConcurrencyReport(
                minimum=self.controller.minimum,
                maximum=self.controller.maximum,
                changes=self._changes
                + [(c.at + wall_minus_monotonic, c.concurrency, c.reason, c.pause_seconds) for c in changes],
                faults=self._faults,
            )
            self._changes, self._faults = [], Counter()
        return report

    def batch_size(self, default: int) -> int:
        # A few rounds of concurrent requests per batch: each batch commits and beats the heartbeat,
        # so a shard of a slow model neither looks dead nor loses minutes of paid replies on a crash.
        return min(default, self.profile.concurrency * LLM_ROUNDS_PER_BATCH)

    def generate_many(self, items: list[tuple[int, dict]]) -> list[Generated]:
        if not items:
            return []
        profile = self.profile
        if self._client is None:
            # One client for the whole run: its connections are kept from batch to batch.
            self._client = open_client(profile)
        client = self._client
        failed = threading.Event()
        # Threads up to the profile's maximum; the controller decides how many of them send at once.
        pool = ThreadPoolExecutor(max_workers=min(profile.concurrency, len(items)), thread_name_prefix="openai")
        try:
            futures = [pool.submit(self._generate_one, client, failed, *item) for item in items]
            # In submission order: the first failure raised is the one that stopped the others.
            return [future.result() for future in futures]
        finally:
            # After a failure, requests not yet sent are dropped instead of each retrying in turn.
            pool.shutdown(wait=True, cancel_futures=True)

    def _generate_one(self, client, failed: threading.Event, record_index: int, variables: dict) -> Generated:
        from openai import OpenAIError

        if failed.is_set():
            raise BackendUnavailable("not sent: an earlier request of the batch failed")
        try:
            rendered = self.compiled.render(variables, self.fields)
        except TemplateRenderError as exc:
            return Generated(record_index, None, [reason("render", str(exc))])
        system = "\n\n".join(part for part in (rendered["system_prompt"], self.schema_instruction) if part)
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": rendered["prompt"]})
        faults: list[str] = []
        try:
            completion, latency_ms = completion_with_retries(
                client,
                profile=self.profile,
                controller=self.controller,
                limiter=self.limiter,
                faults=faults,
                model=self.profile.model,
                messages=messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                response_format=self.response_format,
            )
        except OpenAIError as exc:
            failed.set()
            raise BackendUnavailable(describe_failure(self.profile, exc)) from exc
        finally:
            if faults:
                with self._report_lock:
                    self._faults.update(faults)
        metadata = {"latency_ms": latency_ms, "model": completion.model}
        if faults:
            # Retried faults of this record's request, for the early stop's error rate (and a reader).
            metadata["faults"] = faults
        if usage := token_usage(completion):
            metadata["usage"] = usage
        if not completion.choices:
            return Generated(
                record_index, None, [reason("malformed_reply", "the reply has no choices")], None, metadata
            )
        choice = completion.choices[0]
        content = choice.message.content
        reply, problem = parse_reply(content)
        if reply is None:
            if choice.finish_reason == "length":
                problem += f" (cut off at max_tokens={self.max_tokens})"
            elif getattr(choice.message, "refusal", None):
                problem += f" (the model refused: {choice.message.refusal})"
            return Generated(record_index, None, [reason("malformed_reply", problem)], content, metadata)
        record = {name: reply.get(name, "").strip() for name in RECORD_FIELDS}
        record.update(system_prompt=rendered["system_prompt"], prompt=rendered["prompt"])
        extra = {key: value for key, value in reply.items() if key not in RECORD_FIELDS}
        if extra:
            # Fields the schema asked for beyond the record's own are kept, not dropped.
            metadata["reply_extra"] = extra
        return Generated(record_index, record, [], content, metadata)
