"""A real HTTP service on 127.0.0.1, in a thread of the test process, for outbound capture
tests: it remembers what it was sent, answers ``/status/<code>`` with that status and
holds ``/hold/...`` requests until it stops (for client timeouts)."""

import contextlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUS_PATH = re.compile(r"/status/([0-9]{3})\b")


class OutsideService:
    def __init__(self):
        self.received = []  # (method, path, headers) of each request, in order
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def headers(self):
        """The headers of the one request the service got."""
        [(_, _, headers)] = self.received
        return headers

    def answer(self, handler):
        self.received.append((handler.command, handler.path, handler.headers))
        if handler.path.startswith("/hold/"):
            self.stopping.wait(60)
        match = STATUS_PATH.match(handler.path)
        body = json.dumps({"path": handler.path}).encode()
        handler.send_response(int(match[1]) if match else 200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handler_class(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with contextlib.suppress(OSError):  # the client gave up (its timeout)
                    service.answer(self)

            def log_message(self, *args):
                pass

        return Handler
