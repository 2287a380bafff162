"""Oversized ingest bodies sent to uvicorn serving the example as `make demo` does: refused
on the header at once, or cut off at the limit when sent without a length, while the
sender is still sending (a raw socket that streams the body slowly and listens between
pieces)."""

import json
import os
import select
import socket
import time
from urllib.parse import urlsplit

import pytest
from google.rpc import status_pb2

from flowscope.conf import DEFAULTS
from tests.servers import manage, uvicorn, wait_until_up

KEY = "body-limit-test-key"
LIMIT = DEFAULTS["INGEST_MAX_BYTES"]
PIECE = 8192
PIECES = 2048  # 16 MiB at most: far more than the limit, never all sent when it works
ENDPOINTS = {
    "browser events": ("/api/v1/debugging/ingest/", "application/json"),
    "otlp": ("/api/v1/debugging/otlp/v1/traces", "application/x-protobuf"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(FLOWSCOPE_VAR_DIR=str(tmp_path_factory.mktemp("var")), FLOWSCOPE_INGEST_KEY=KEY)
    manage(env, "migrate", "--noinput", "-v", "0")
    with uvicorn(env) as (base, process):
        wait_until_up(f"{base}/api/v1/products/", process)
        yield base


def head(url, path, content_type, length_header):
    host = urlsplit(url).netloc
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"X-Flowscope-Key: {KEY}\r\n{length_header}\r\n\r\n"
    ).encode()


def stream(url, request_head, pieces, pause=0.01):
    """Send the head, then the pieces one by one, listening for an answer before each;
    ``(answer bytes, body bytes sent)`` once the server answered or all was sent."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(request_head)
        sent = 0
        for piece in pieces:
            if select.select([sock], [], [], pause)[0]:
                break  # the server answered while the body was still coming
            try:
                sock.sendall(piece)
            except OSError:  # it closed the connection: its answer is waiting to be read
                break
            sent += len(piece)
        return read_answer(sock), sent


def read_answer(sock):
    received = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not data:
            break
        received += data
        head, _, body = received.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ),
            None,
        )
        if length is not None and len(body) >= length:
            break
    return received


def chunked(piece):
    return b"%x\r\n%s\r\n" % (len(piece), piece)


def assert_refused(answer, content_type):
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    assert lines[0].startswith("http/1.1 413"), answer[:300]
    assert "connection: close" in lines
    assert f"content-type: {content_type}" in lines
    if content_type == "application/json":
        assert json.loads(body)["code"] == "too_large"
    else:
        assert status_pb2.Status.FromString(body).code == 3  # INVALID_ARGUMENT


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_body_announced_too_large_is_refused_before_it_is_sent(server, endpoint):
    path, content_type = ENDPOINTS[endpoint]
    declared = 1024**3
    request_head = head(server, path, content_type, f"Content-Length: {declared}")
    answer, sent = stream(server, request_head, [b"x" * PIECE] * PIECES)
    assert_refused(answer, content_type)
    assert sent < PIECE * PIECES


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_chunked_body_is_refused_once_past_the_limit_while_still_coming(server, endpoint):
    path, content_type = ENDPOINTS[endpoint]
    request_head = head(server, path, content_type, "Transfer-Encoding: chunked")
    answer, sent = stream(server, request_head, [chunked(b"x" * PIECE)] * PIECES)
    assert_refused(answer, content_type)
    assert LIMIT < sent < PIECE * PIECES


def test_a_chunked_body_within_the_limit_is_taken(server):
    path, content_type = ENDPOINTS["browser events"]
    event = {"type": "vital", "correlation_id": "chunked-ok", "name": "LCP", "value": 1.5}
    body = json.dumps({"events": [event]}).encode()
    request_head = head(server, path, content_type, "Transfer-Encoding: chunked")
    answer, _ = stream(server, request_head, [chunked(body[:10]), chunked(body[10:]), b"0\r\n\r\n"])
    assert answer.startswith(b"HTTP/1.1 202"), answer[:300]
