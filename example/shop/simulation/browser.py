"""A simulated customer's browser: what the flowscope SDK does in a real page — every
request of a workflow under one correlation ID with a ``traceparent`` naming the fetch's
span, each fetch timed as a frontend step, events sent to the ingest endpoint at the end."""

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

TIMEOUT_SECONDS = 15


@dataclass
class Answer:
    status: int
    body: object

    @property
    def ok(self):
        return 200 <= self.status < 300


@dataclass
class Browser:
    base_url: str
    workflow_type: str = ""
    ingest_key: str = ""  # without one, no events are sent
    username: str = ""  # the account this customer signs in with
    correlation_id: str = field(default_factory=lambda: secrets.token_hex(16))
    token: str = ""
    events: list = field(default_factory=list)
    journey_id: str = ""  # the browser session, as the SDK names it; none: not sent

    def start_workflow(self, workflow_type):
        """The next workflow of this browser session: a correlation ID of its own."""
        self.workflow_type = workflow_type
        self.correlation_id = secrets.token_hex(16)

    def call(self, method, path, body=None, complete=False):
        span_id = secrets.token_hex(8)
        headers = {
            "X-Correlation-ID": self.correlation_id,
            "X-Workflow-Type": self.workflow_type,
            "traceparent": f"00-{self.correlation_id}-{span_id}-01",
            "Content-Type": "application/json",
            "User-Agent": "flowscope-simulator/1",
        }
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.journey_id:
            headers["X-Flowscope-Journey"] = self.journey_id
        if complete:
            headers["X-Workflow-Complete"] = "true"
        started = time.time()
        answer = self._send(method, path, body, headers)
        self._record_fetch(method, path, span_id, started, answer, complete)
        return answer

    def login(self, username, password, complete=False):
        """Sign in; later calls carry the API token."""
        body = {"username": username, "password": password}
        answer = self.call("POST", "/api/v1/auth/login/", body, complete=complete)
        if answer.ok:
            self.token = answer.body["token"]
        return answer

    def _send(self, method, path, body, headers):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return Answer(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, _json(error.read()))
        except OSError:
            return Answer(0, None)  # the network failed, as it sometimes does for browsers

    def _record_fetch(self, method, path, span_id, started, answer, complete):
        self.events.append(
            {
                "type": "step",
                "correlation_id": self.correlation_id,
                "workflow_type": self.workflow_type,
                "name": f"{method} {path.split('?')[0]}",
                "started_at": started * 1000,
                "duration_ms": (time.time() - started) * 1000,
                "status": "error" if answer.status == 0 or answer.status >= 500 else "ok",
                "span_id": span_id,
                "complete": complete,
                "metadata": {
                    "kind": "fetch",
                    "method": method,
                    "url": path,
                    "status_code": answer.status,
                },
            }
        )

    def page_view(self, lcp_ms):
        now = time.time() * 1000
        self.events.append(
            {
                "type": "vital",
                "correlation_id": self.correlation_id,
                "name": "LCP",
                "value": lcp_ms,
                "started_at": now,
            }
        )

    def script_error(self, error_type, message, complete=False):
        """An error the page's script reports (shown to the customer, sent to flowscope)."""
        self.events.append(
            {
                "type": "error",
                "correlation_id": self.correlation_id,
                "error_type": error_type,
                "message": message,
                "stack": f"{error_type}@{self.base_url}/static/shop/storefront.js:1:1",
                "started_at": time.time() * 1000,
            }
        )

    def send_events(self):
        if not self.events or not self.ingest_key:
            return
        headers = {"Content-Type": "application/json", "X-Flowscope-Key": self.ingest_key}
        self._send("POST", "/api/v1/debugging/ingest/", {"events": self.events}, headers)
        self.events = []


def _json(raw):
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None
