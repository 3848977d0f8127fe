"""Webhooks: what announcing costs the service that announces (inside its transaction, with no and
with 10 subscribed endpoints), and how fast deliveries are signed, sent to a local receiver and
logged, against plain POSTs of the same bodies to the same receiver.

The receiver is a threaded http.server in this process on 127.0.0.1 (the scenario allows the
loopback, as the tests do). Deliveries are sent one after another through the service, as one
q2 worker sends them.
"""

import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webhooks_app.events import JOB_SUCCEEDED, announce, envelope, new_webhook_id
from webhooks_app.models import WebhookDelivery, WebhookEndpoint
from webhooks_app.sending import body_of
from webhooks_app.services import webhook_delivery_send, webhook_endpoint_create

from .fixture import bench_user
from .results import Result

ANNOUNCES = 200
ENDPOINTS = 10
PAYLOAD = {
    "object": "job",
    "id": 1,
    "url": "/api/v1/jobs/1/",
    "counts": {"record_count": 1000, "accepted": 990, "rejected": 4, "duplicates": 6},
    "manifest": {"accepted_ids_sha256": "0" * 64, "rejection_reasons": {"schema": 4}},
}


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without TCP_NODELAY the client's delayed ACK adds 40 ms.
    disable_nagle_algorithm = True

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def _announce_ms(count: int) -> list[float]:
    times = []
    for number in range(count):
        with transaction.atomic():
            started = time.perf_counter()
            announce(JOB_SUCCEEDED, tenant_id="bench", subject=f"job {number}", payload=PAYLOAD)
            times.append((time.perf_counter() - started) * 1000)
            # Measured inside the transaction; rolled back so nothing is queued or kept.
            transaction.set_rollback(True)
    return times


def webhooks(n: int, repeat: int) -> list[Result]:
    settings.SYNTHGOV_WEBHOOK_ALLOW_LOOPBACK = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    user = bench_user()
    deliveries = max(20, min(n // 10, 500))
    try:
        idle = statistics.median(_announce_ms(ANNOUNCES))
        endpoints = [
            webhook_endpoint_create(acting_user=user, url=url, events=[JOB_SUCCEEDED], tenant_id="bench")[0]
            for _ in range(ENDPOINTS)
        ]
        busy = statistics.median(_announce_ms(ANNOUNCES))
        endpoint = endpoints[0]
        body = envelope(JOB_SUCCEEDED, tenant_id="bench", payload=PAYLOAD)
        send_rates, post_rates = [], []
        for _ in range(repeat):
            now = timezone.now()
            rows = WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(
                        endpoint=endpoint,
                        event=JOB_SUCCEEDED,
                        tenant_id="bench",
                        subject="bench",
                        payload=body,
                        webhook_id=new_webhook_id(),
                        next_attempt_at=now,
                    )
                    for _ in range(deliveries)
                ]
            )
            started = time.perf_counter()
            for row in rows:
                webhook_delivery_send(delivery_id=row.pk)
            send_rates.append(deliveries / (time.perf_counter() - started))
            assert WebhookDelivery.objects.filter(endpoint=endpoint, status="succeeded").count() >= deliveries
            content = body_of(body).encode()
            with httpx2.Client(timeout=5, trust_env=False) as client:
                started = time.perf_counter()
                for _ in range(deliveries):
                    client.post(url, content=content, headers={"content-type": "application/json"})
                post_rates.append(deliveries / (time.perf_counter() - started))
    finally:
        WebhookEndpoint.objects.filter(created_by=user, url=url).delete()
        server.shutdown()
        server.server_close()
    return [
        Result(
            scenario="webhooks",
            n=ANNOUNCES,
            metric=f"announce, {ENDPOINTS} endpoints p50",
            unit="ms",
            value=busy,
            reference="announce, no endpoint p50 ms",
            reference_value=idle,
            target="< 10 ms",
            target_value=10,
            target_kind="at_most",
        ),
        Result(
            scenario="webhooks",
            n=deliveries,
            metric="deliveries sent and logged",
            unit="deliveries/s",
            value=statistics.median(send_rates),
            reference="plain POSTs/s, one keep-alive client",
            reference_value=statistics.median(post_rates),
            # Each delivery is a claim, a read and a committed log row: the database, not the POST, sets the pace.
            target=">= 10/s per worker",
            target_value=10,
            target_kind="at_least",
        ),
    ]
