"""A JSON Schema server on 127.0.0.1 that counts the requests it gets: a schema must never make one."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What a fetched schema would apply: every answer refused.
REMOTE_SCHEMA = {"not": {}}


class SchemaServer:
    def __init__(self):
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = json.dumps(REMOTE_SCHEMA).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/schema+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/schema.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
