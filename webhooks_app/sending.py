"""One signed POST of a delivery (Standard Webhooks), and what came back.

The body is the delivery's JSON; the headers `webhook-id` (the delivery's id, the same on every
retry), `webhook-timestamp` (this attempt, Unix seconds) and `webhook-signature` (`v1,<base64
HMAC-SHA256 of id.timestamp.body>`) come from the `standardwebhooks` library, so a receiver checks
them with the same library: `Webhook(secret).verify(body, headers)`.

The connection goes to the address the SSRF guard checked (webhooks_app/addresses.py), with the
URL's host in the Host header and as the TLS server name. Redirects are not followed (a 3xx is a
failed attempt), proxies from the environment are not used, and only the first bytes of the answer
are read.
"""

import json
import secrets
import time
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx2
from django.conf import settings
from standardwebhooks import Webhook

from .addresses import RefusedURL, resolve
from .models import MAX_EXCERPT_CHARS

SECRET_PREFIX = "whsec_"
USER_AGENT = "synthgov-webhooks/1"
# The most of an answer that is read (the excerpt keeps MAX_EXCERPT_CHARS characters of it).
MAX_READ_BYTES = 16 * 1024


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + b64encode(secrets.token_bytes(32)).decode()


def body_of(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def signed_headers(*, secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
    }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    response_excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_shared: httpx2.Client | None = None


def _client() -> httpx2.Client:
    """One client per process (made on first use, so after django-q2 forks its workers): building one
    costs tens of milliseconds (its TLS context), and it keeps connections to receivers alive."""
    global _shared
    if _shared is None:
        _shared = httpx2.Client(follow_redirects=False, trust_env=False)
    return _shared


def _pinned(url: str, address: str) -> str:
    """`url` with its host replaced by the checked address (the port and path kept)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def post(*, url: str, secret: str, webhook_id: str, payload: dict) -> Outcome:
    """POST the payload, signed, to `url`; never raises for what the network or receiver does."""
    started = time.monotonic()

    def elapsed() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        host, _port, address = resolve(url)
    except RefusedURL as exc:
        return Outcome(None, elapsed(), error=str(exc))
    body = body_of(payload)
    headers = signed_headers(secret=secret, webhook_id=webhook_id, body=body, at=datetime.now(UTC))
    headers["host"] = urlsplit(url).netloc.rpartition("@")[2]
    extensions = {"sni_hostname": host} if urlsplit(url).scheme == "https" else {}
    try:
        with _client().stream(
            "POST",
            _pinned(url, address),
            content=body.encode(),
            headers=headers,
            extensions=extensions,
            timeout=settings.SYNTHGOV_WEBHOOK_TIMEOUT_SECONDS,
        ) as response:
            received = bytearray()
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= MAX_READ_BYTES:
                    break
            excerpt = received[:MAX_READ_BYTES].decode("utf-8", errors="replace")[:MAX_EXCERPT_CHARS]
            return Outcome(response.status_code, elapsed(), excerpt.replace("\x00", "\ufffd"))
    except httpx2.HTTPError as exc:
        return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:MAX_EXCERPT_CHARS])
