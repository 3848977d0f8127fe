"""A webhook receiver on 127.0.0.1 that verifies every request with the standardwebhooks library,
as a deployment's receiver would, and answers with the status codes a test scripts."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: bytes
    verified: bool
    payload: dict | None


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    secret: str | None = None
    # Status codes to answer, in order; 200 once they are used up.
    responses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def verified_payloads(self) -> list[dict]:
        return [request.payload for request in self.received if request.verified]

    def events(self) -> list[str]:
        return [payload["type"] for payload in self.verified_payloads()]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = dict(self.headers.items())
            try:
                payload = Webhook(receiver.secret).verify(body, headers) if receiver.secret else None
                verified = payload is not None
            except WebhookVerificationError:
                payload, verified = None, False
            with receiver.lock:
                receiver.received.append(Received(headers, body, verified, payload))
                status = receiver.responses.pop(0) if receiver.responses else 200
            if not verified:
                status = 400
            answer = json.dumps({"ok": 200 <= status < 300, "verified": verified}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
