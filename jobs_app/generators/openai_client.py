"""What every caller of an OpenAI-compatible server shares: the client of a profile, and failures in words.

Used by the `openai` generator backend and by the LLM judge (jobs_app/judge.py).
"""

import json
import os
import time

from ..models import GeneratorProfile

# Status codes the SDK retries; any other error status is permanent and is not retried.
RETRIED_STATUSES = {408, 409, 429}


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
        max_retries=profile.max_retries,
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


def timed_completion(client, limiter, **request):
    """One chat completion within the profile's rate limit; returns it and its latency in ms.
    The SDK's errors (OpenAIError) pass through to the caller, which says what they mean for it."""
    if limiter:
        limiter.wait()
    started = time.perf_counter()
    completion = client.chat.completions.create(**request)
    return completion, round((time.perf_counter() - started) * 1000, 1)


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
