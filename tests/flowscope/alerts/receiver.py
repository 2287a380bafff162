"""A webhook receiver for tests: a real HTTP server on 127.0.0.1."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    """Keeps each body; answers ``server.status``, once ``server.release`` is set."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        self.server.release.wait(60)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def webhook_receiver():
    """The server, with ``url``, ``bodies``, ``status`` (200) and ``release`` (set)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.bodies, server.status, server.release = [], 200, threading.Event()
    server.release.set()
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/secret-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
