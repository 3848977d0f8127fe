"""Soak check for `make run`: trigger a large job in the admin and keep clicking while it runs.

Usage: python scripts/admin_soak.py [--base http://127.0.0.1:8000] [--records 10000]
Logs in as the bootstrap admin (password from var/admin-password.txt), triggers a job through
the admin form, then opens the QA pair list, approves pairs and opens job pages until the job
finishes. Exits non-zero if any page fails or the job does not succeed. Talks only to the
given local server.
"""

import argparse
import http.cookiejar
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


class AdminClient:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> tuple[str, str]:
        page = self.get(path) if not data.get("_skip_get") else ""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {key: value for key, value in data.items() if key != "_skip_get"}
        if token:
            data["csrfmiddlewaretoken"] = token.group(1)
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read().decode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    password = (Path(__file__).resolve().parent.parent / "var" / "admin-password.txt").read_text().strip()
    client = AdminClient(args.base)
    client.post("/admin/login/?next=/admin/", {"username": "admin", "password": password, "next": "/admin/"})

    trigger = "/admin/jobs_app/generationjob/trigger/"
    page = client.get(trigger)
    version = re.search(r'<option value="(\d+)"[^>]*>addition-word-problems v1', page).group(1)
    url, _ = client.post(
        trigger,
        {
            "template_version": version,
            "record_count": args.records,
            "seed": int(time.time()),
            "locale": "en",
            "tenant_id": f"soak-{int(time.time())}",
            "target_surface": "training",
            "production": "on",
        },
    )
    job_path = urllib.parse.urlparse(url).path
    print(f"job page: {job_path}")
    started, clicks, latencies = time.monotonic(), 0, []
    while True:
        for path in ("/admin/qa_app/qapair/?review_status__exact=pending", job_path, "/admin/"):
            t0 = time.monotonic()
            client.get(path)
            latencies.append(time.monotonic() - t0)
            clicks += 1
        ids = re.findall(r'name="_selected_action" value="(\d+)"', client.get("/admin/qa_app/qapair/"))[:5]
        if ids:
            client.post(
                "/admin/qa_app/qapair/",
                {"action": "approve_selected", "_selected_action": ids, "index": "0"},
            )
            clicks += 1
        job_page = client.get(job_path)
        if "data-job-running" not in job_page:
            break
        if time.monotonic() - started > 600:
            print("job did not finish within 600 s")
            return 1
    elapsed = time.monotonic() - started
    finished = re.search(r"<label>Status:</label>\s*<div class=\"readonly\">(\w+)</div>", job_page)
    latencies.sort()
    print(
        f"job finished in {elapsed:.1f} s; {clicks} admin requests, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"status: {finished.group(1) if finished else 'unknown'}"
    )
    return 0 if finished and finished.group(1) == "Succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
