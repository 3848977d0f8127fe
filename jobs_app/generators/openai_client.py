"""What every caller of an OpenAI-compatible server shares: the client of a profile, the retry loop, and
failures in words.

Used by the `openai` generator backend and by the LLM judge (jobs_app/judge.py).

Retries are ours, not the SDK's (its client is built with max_retries=0): the SDK would hide the
429s and 5xx it retries, and the adaptive concurrency (aimd.py) must see every one of them. So
each attempt takes a slot of the profile's controller, reports its outcome, and a `Retry-After`
pauses every sender of the process rather than only the request that met it.
"""

import email.utils
import json
import os
import random
import time

from ..models import GeneratorProfile
from .aimd import AIMDController, Outcome, controller_for

# Status codes that are retried besides 5xx; any other error status is permanent and is not retried.
RETRIED_STATUSES = {408, 409, 429}
# Exponential backoff when the server gave no Retry-After: 0.5 s, 1 s, 2 s, ... at most 8 s, with jitter.
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
# A reply slower than this fraction of the profile's timeout is no reason to send more requests at once.
SLOW_REPLY_FRACTION = 0.5


def missing_key_variable(profile: GeneratorProfile) -> str:
    if profile.api_key_env and profile.api_key_env not in os.environ:
        return f"environment variable {profile.api_key_env} (the API key of profile {profile.name!r}) is not set"
    return ""


def profile_problem(name: str) -> str:
    """Why the named profile cannot serve a job from this environment, or "" when it can."""
    profile = GeneratorProfile.objects.filter(name=name).first()
    if profile is None:
        known = ", ".join(GeneratorProfile.objects.values_list("name", flat=True)) or "none yet"
        return f"no generator profile named {name!r}; profiles: {known}"
    return missing_key_variable(profile)


def open_client(profile: GeneratorProfile):
    """An SDK client with the profile's timeout and retries; the key read from the environment only now."""
    # Imported here: the SDK takes over half a second to import, which no other process should pay.
    from openai import OpenAI

    api_key = os.environ.get(profile.api_key_env) if profile.api_key_env else None
    return OpenAI(
        base_url=profile.base_url,
        api_key=api_key or "unused",
        timeout=profile.timeout_seconds,
        # Retried by completion_with_retries, where the adaptive concurrency sees every failure.
        max_retries=0,
    )


def profile_controller(profile: GeneratorProfile) -> AIMDController:
    """The adaptive concurrency of the profile in this process (see aimd.py for its scope)."""
    return controller_for(
        profile.name,
        minimum=min(profile.min_concurrency, profile.concurrency),
        maximum=profile.concurrency,
        slow_after_seconds=profile.timeout_seconds * SLOW_REPLY_FRACTION,
    )


def parse_json_object(content: str | None) -> tuple[dict | None, str]:
    """A reply's JSON object, or None and why the reply is not one."""
    if not content or not content.strip():
        return None, "the reply is empty"
    try:
        reply = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, f"the reply is not valid JSON: {exc}"
    if not isinstance(reply, dict):
        return None, f"the reply is a JSON {type(reply).__name__}, not an object"
    return reply, ""


def completion_with_retries(client, *, profile: GeneratorProfile, controller, limiter, faults: list, **request):
    """One chat completion within the profile's adaptive concurrency and rate limit; returns it and the
    latency of the attempt that answered, in ms.

    A 429, 408, 409, 5xx, timeout or failed connection is retried up to profile.max_retries times,
    after the server's Retry-After (every sender waits for it) or else an exponential backoff. Each
    fault met is appended to `faults` ("HTTP 429", "HTTP 500", "timeout", "connection"), retried or
    not. The last error (an OpenAIError) passes through to the caller, which says what it means for it.
    """
    from openai import APIConnectionError, APIStatusError, APITimeoutError
    from openai.types.chat import ChatCompletion

    retries = 0
    while True:
        ticket = controller.acquire()
        outcome, retry_after = Outcome.NEUTRAL, None
        try:
            if limiter:
                limiter.wait()
            started = time.perf_counter()
            # The SDK's documented low-level call with the same body and result type as chat.completions.create,
            # without its per-call walk of the parameters' type hints (a third of its CPU per request; the
            # body here is plain JSON already). At 100+ requests/s that CPU is what limits a worker.
            completion = client.post("/chat/completions", body=request, cast_to=ChatCompletion)
            latency = time.perf_counter() - started
            outcome = Outcome.SUCCESS
            return completion, round(latency * 1000, 1)
        except APITimeoutError:
            # Before APIConnectionError: the SDK's timeout is a kind of connection error.
            outcome = Outcome.TIMEOUT
            faults.append("timeout")
            if retries >= profile.max_retries:
                raise
        except APIConnectionError:
            outcome = Outcome.CONNECTION
            faults.append("connection")
            if retries >= profile.max_retries:
                raise
        except APIStatusError as exc:
            status = exc.status_code
            if status == 429:
                outcome = Outcome.THROTTLED
            elif status >= 500 or status == 408:
                outcome = Outcome.SERVER_ERROR
            retry_after = retry_after_seconds(exc.response.headers)
            transient = status in RETRIED_STATUSES or status >= 500
            if transient:
                faults.append(f"HTTP {status}")
            if not transient or retries >= profile.max_retries:
                raise
        finally:
            controller.release(
                ticket, outcome, latency=latency if outcome is Outcome.SUCCESS else None, retry_after=retry_after
            )
        retries += 1
        if retry_after is None:
            time.sleep(backoff_seconds(retries))
        # With a Retry-After the controller's pause holds this sender, like every other, in acquire().


def backoff_seconds(retry: int) -> float:
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (retry - 1))
    return delay * (1 - 0.25 * random.random())


def retry_after_seconds(headers) -> float | None:
    """The pause a response asks for: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def token_usage(completion) -> dict:
    """The completion's token counts, when the server reported them."""
    if not completion.usage:
        return {}
    return {"prompt_tokens": completion.usage.prompt_tokens, "completion_tokens": completion.usage.completion_tokens}


def chat_endpoint(profile: GeneratorProfile) -> str:
    return profile.base_url.rstrip("/") + "/chat/completions"


def describe_failure(profile: GeneratorProfile, exc) -> str:
    """A sentence an operator can act on: which profile, which URL, what went wrong, whether retried."""
    from openai import APIConnectionError, APIStatusError, APITimeoutError

    where = f"openai profile {profile.name!r}: POST {chat_endpoint(profile)}"
    retries = profile.max_retries
    retried = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
    if isinstance(exc, APITimeoutError):
        return f"{where}: no reply within {profile.timeout_seconds:g} s{retried}"
    if isinstance(exc, APIConnectionError):
        return f"{where}: {_connection_failure(exc)}{retried}"
    if isinstance(exc, APIStatusError):
        status = exc.status_code
        body = exc.body
        detail = body.get("message") if isinstance(body, dict) else None
        detail = detail or (exc.response.text or "")[:300] or exc.response.reason_phrase
        transient = status in RETRIED_STATUSES or status >= 500
        return f"{where}: HTTP {status}: {detail}{retried if transient else ''}"
    return f"{where}: {exc}"


def _connection_failure(exc: BaseException) -> str:
    """The operating system's words for a failed connection ("connection refused"), not the SDK's generic ones."""
    seen = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    cause = exc.__cause__
    return str(cause) if cause and str(cause) else "connection failed"
