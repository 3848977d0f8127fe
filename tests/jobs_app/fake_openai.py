"""An OpenAI-compatible chat-completions server on 127.0.0.1 for the backend tests.

By default it answers every POST /v1/chat/completions deterministically from the request: the
user message becomes the question and the sum of the integers in it the answer (the planted
ground truth of the factory's sum template); a request of the LLM judge gets score JUDGE_SCORE.
Tests queue behaviours that the next requests take in turn (a raw reply, an error status, a
stall); `fallback` is what it does once the queue is empty. `latency` delays every answer, and
`capacity` answers 429 (with `capacity_retry_after`) to a request beyond that many in flight,
as a loaded server does. Each received request keeps when it arrived and when it was answered
(time.monotonic), so tests check pauses in the server's own log.

`python -m tests.jobs_app.fake_openai --port P --latency 0.2 [--capacity N]` runs it alone (the bench).
"""

import argparse
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections when dozens of clients open theirs at once
    # (each then waits a second for the SYN to be sent again).
    request_queue_size = 128


@dataclass(frozen=True)
class Answer:
    """The deterministic answer to the request."""


@dataclass(frozen=True)
class Reply:
    """A 200 whose message content is exactly this text."""

    content: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Error:
    """An error status; the small Retry-After keeps the client's retries fast."""

    status: int
    message: str = "the fake server says no"
    retry_after: str | None = "0.01"


@dataclass(frozen=True)
class Stall:
    """Sleep past the client's timeout, then answer (to a client that has gone)."""

    seconds: float


@dataclass
class ReceivedRequest:
    headers: dict  # names in lower case
    body: dict
    received_at: float = 0.0
    answered_at: float | None = None
    status: int | None = None
    retry_after: str | None = None


@dataclass
class FakeOpenAI:
    behaviours: deque = field(default_factory=deque)
    fallback: object = field(default_factory=Answer)
    received: list[ReceivedRequest] = field(default_factory=list)
    latency: float = 0.0
    capacity: int | None = None
    capacity_retry_after: str | None = "0.05"
    port: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        self.in_flight = 0
        self.server = _Server(("127.0.0.1", self.port), _handler_for(self))
        self.server.daemon_threads = True
        # A stalled handler must not hold up the test's teardown.
        self.server.block_on_close = False
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="fake-openai", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *behaviours) -> None:
        with self._lock:
            self.behaviours.extend(behaviours)

    def next_behaviour(self, request: ReceivedRequest):
        with self._lock:
            self.received.append(request)
            self.in_flight += 1
            if self.capacity is not None and self.in_flight > self.capacity:
                return Error(429, "over capacity", retry_after=self.capacity_retry_after)
            return self.behaviours.popleft() if self.behaviours else self.fallback

    def answered(self, request: ReceivedRequest, status: int, retry_after: str | None) -> None:
        with self._lock:
            self.in_flight -= 1
            request.answered_at, request.status, request.retry_after = time.monotonic(), status, retry_after

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


JUDGE_SCORE = 0.75


def is_judge_request(body: dict) -> bool:
    """A request of the LLM judge (jobs_app/judge.py): its verdict schema, or its rubric in the system message."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"].get("name") == "verdict"
    return any("Rubric:" in message["content"] for message in body["messages"] if message["role"] == "system")


def deterministic_verdict(body: dict) -> dict:
    pair = json.loads(next(message["content"] for message in body["messages"] if message["role"] == "user"))
    return {"score": JUDGE_SCORE, "rationale": f"The answer {pair['answer']} follows the rubric."}


def deterministic_reply(body: dict) -> dict:
    return deterministic_verdict(body) if is_judge_request(body) else deterministic_answer(body)


def deterministic_answer(body: dict) -> dict:
    prompt = next(message["content"] for message in body["messages"] if message["role"] == "user")
    return {"question": prompt, "answer": str(sum(int(number) for number in re.findall(r"\d+", prompt)))}


def completion(body: dict, content: str, finish_reason: str = "stop") -> dict:
    prompt_words = sum(len(message["content"].split()) for message in body["messages"])
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": len(content.split()),
            "total_tokens": prompt_words + len(content.split()),
        },
    }


def _handler_for(fake: FakeOpenAI):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as real servers (uvicorn, nginx) set it: the headers and the body go out in two
        # writes, and with Nagle's algorithm the body waits for the client's delayed ACK of the
        # headers (40 ms on Linux) on every reply of a kept-alive connection.
        disable_nagle_algorithm = True

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            request = ReceivedRequest(
                {name.lower(): value for name, value in self.headers.items()}, body, time.monotonic()
            )
            behaviour = fake.next_behaviour(request)
            if isinstance(behaviour, Stall):
                time.sleep(behaviour.seconds)
                behaviour = Answer()
            elif fake.latency and not isinstance(behaviour, Error):
                time.sleep(fake.latency)
            status, retry_after = 200, None
            if isinstance(behaviour, Error):
                status, retry_after = behaviour.status, behaviour.retry_after
                headers = {"Retry-After": retry_after} if retry_after else {}
                self._send(status, {"error": {"message": behaviour.message}}, headers)
            elif isinstance(behaviour, Reply):
                self._send(200, completion(body, behaviour.content, behaviour.finish_reason))
            else:
                self._send(200, completion(body, json.dumps(deterministic_reply(body))))
            fake.answered(request, status, retry_after)

        def _send(self, status: int, payload: dict, headers: dict | None = None):
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client timed out and left; that is the point of a stall.

        def log_message(self, format, *args):
            pass

    return Handler


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible fake server on 127.0.0.1.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--capacity", type=int, default=None, help="answer 429 beyond this many in flight")
    parser.add_argument("--retry-after", default="0.05", help="Retry-After of the 429s beyond capacity")
    parser.add_argument("--seconds", type=float, default=3600, help="stop by itself after this long")
    args = parser.parse_args()
    fake = FakeOpenAI(
        latency=args.latency, capacity=args.capacity, capacity_retry_after=args.retry_after, port=args.port
    )
    print(f"listening on {fake.base_url}", flush=True)
    try:
        time.sleep(args.seconds)
    finally:
        fake.close()


if __name__ == "__main__":
    main()
