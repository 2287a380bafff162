"""Alerts tests record real traces through the store pipeline and show its committed
batches to evaluators of their own (one per simulated process)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flowscope.alerts.evaluation import evaluate_committed
from flowscope.recording.losses import Losses
from flowscope.recording.store_pipeline import StorePipeline, add_sink, remove_sink

NO_RULES = {"ALERT_RULES": []}


@pytest.fixture
def committed():
    """Every batch the store commits during the test, instead of the process's evaluator."""
    batches = []
    remove_sink(evaluate_committed)
    add_sink(batches.append)
    yield batches
    remove_sink(batches.append)
    add_sink(evaluate_committed)


def record(traces, source="test:1"):
    """Write ``traces`` as a writer of ``source`` does, and close its rollup windows."""
    pipeline = StorePipeline(source, Losses(), process_metrics=False)
    pipeline.handle(list(traces))
    pipeline.finish()


@pytest.fixture
def alert_settings(settings):
    def configure(**values):
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, **values}

    return configure


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: keeps each body; answers ``server.status``, after
    ``server.release`` is set."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        self.server.release.wait(60)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    """A real HTTP server on 127.0.0.1 receiving webhooks."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.bodies, server.status, server.release = [], 200, threading.Event()
    server.release.set()
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/secret-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
