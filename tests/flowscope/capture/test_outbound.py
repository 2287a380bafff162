"""Outbound HTTP calls (requests, httpx sync and async, urllib3) as external steps of the
workflow, against a real HTTP service on 127.0.0.1."""

import socket
import uuid
from contextlib import contextmanager

import httpx
import pytest
import requests
import urllib3
from asgiref.sync import async_to_sync
from django.apps import apps
from django.test import AsyncClient, Client
from urllib3.connectionpool import HTTPConnectionPool

from flowscope.capture.collectors import configured_collectors
from flowscope.capture.outbound.httpx import HttpxCollector
from flowscope.capture.outbound.requests import RequestsCollector
from flowscope.capture.outbound.urllib3 import Urllib3Collector
from flowscope.capture.outbound.urls import describe_url
from flowscope.conf import DEFAULTS
from flowscope.synthetic import synthetic
from flowscope.testing import capture_traces
from tests.flowscope.capture.outbound_views import CALLER_HEADERS
from tests.flowscope.capture.outside_service import OutsideService

pytestmark = pytest.mark.urls("tests.flowscope.capture.outbound_views")

LIBRARIES = ["requests", "httpx", "httpx-async", "urllib3"]
ORDER_ID = "0b5e7c1e-4f0e-4c57-9d4b-2c1d6f0e8a11"


@pytest.fixture
def service():
    outside = OutsideService()
    outside.start()
    yield outside
    outside.stop()


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that nothing listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(library, url, **params):
    """Serve a request whose view calls ``url`` with ``library``; its trace and response."""
    query = {"url": url, **params}
    with capture_traces() as traces:
        if library == "httpx-async":
            response = async_to_sync(AsyncClient().get)("/call/httpx-async/", query)
        else:
            response = Client().get(f"/call/{library}/", query)
    [trace] = traces
    return trace, response


def external_steps(trace):
    return [span for span in trace.spans if span.layer == "external"]


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_call_is_one_external_step_under_the_current_step(service, library):
    url = f"{service.url}/v1/users/12345/orders/{ORDER_ID}?page=2&api_key=s3cr3t"
    trace, response = call(library, url)

    assert response.json() == {"status": 200}
    [fetch] = [span for span in trace.spans if span.layer == "custom"]
    [step] = external_steps(trace)  # requests runs on urllib3: still one step
    host = service.url.removeprefix("http://")
    assert step.name == f"GET {host}/v1/users/{{id}}/orders/{{uuid}}"
    assert step.parent_span_id == fetch.span_id
    assert step.status == "ok"
    assert step.duration_ms > 0
    assert step.metadata == {
        "library": library.removesuffix("-async"),
        "method": "GET",
        "host": host,
        "path": "/v1/users/{id}/orders/{uuid}",
        "query": "page={id}&api_key=[Filtered]",
        "status_code": 200,
    }
    headers = service.headers()
    assert headers["X-Correlation-ID"] == trace.correlation_id
    assert headers["traceparent"] == f"00-{trace.trace_id}-{step.span_id}-01"


def test_a_long_url_names_its_step_within_the_stored_length(service):
    trace, _ = call("requests", f"{service.url}/{'segment/' * 100}")
    [step] = external_steps(trace)
    assert len(step.name) == 500
    assert step.metadata["path"] == "/" + "segment/" * 100


@pytest.mark.parametrize("library", LIBRARIES)
def test_headers_the_caller_set_are_sent_as_they_were(service, library):
    trace, _ = call(library, f"{service.url}/rates/", caller_headers="1")

    headers = service.headers()
    assert headers["X-Correlation-ID"] == CALLER_HEADERS["X-Correlation-ID"]
    assert headers["traceparent"] == CALLER_HEADERS["traceparent"]
    assert len(headers.get_all("traceparent")) == 1
    assert len(external_steps(trace)) == 1


@pytest.mark.parametrize("library", LIBRARIES)
def test_an_error_answer_fails_the_step(service, library):
    trace, response = call(library, f"{service.url}/status/503/charges/")

    assert response.json() == {"status": 503}
    [step] = external_steps(trace)
    assert step.status == "error"
    assert step.metadata["status_code"] == 503
    assert step.name.endswith("/status/{id}/charges/")


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_refused_connection_is_a_failed_step(closed_port, library):
    trace, response = call(library, f"http://127.0.0.1:{closed_port}/charges/")

    assert response.status_code == 502
    [step] = external_steps(trace)  # urllib3 retries by calling itself: one step
    assert step.status == "error"
    assert "status_code" not in step.metadata
    assert "connect" in step.metadata["error"].lower()  # ConnectError, NewConnectionError
    assert step.name == f"GET 127.0.0.1:{closed_port}/charges/"


@pytest.mark.parametrize("library", LIBRARIES)
def test_a_timeout_is_a_failed_step(service, library):
    trace, response = call(library, f"{service.url}/hold/slow-rates/", timeout="0.3")

    assert response.status_code == 502
    [step] = external_steps(trace)
    assert step.status == "error"
    assert "timeout" in step.metadata["error"].lower()
    assert "status_code" not in step.metadata


def test_an_unhandled_call_error_is_linked_to_its_step(closed_port):
    with capture_traces() as traces:
        Client(raise_request_exception=False).get(
            "/call/unhandled/", {"url": f"http://127.0.0.1:{closed_port}/"}
        )
    [trace] = traces
    [step] = external_steps(trace)
    [error] = [error for error in trace.errors if error.kind == "exception"]
    assert error.span_id == step.span_id


def test_the_called_service_joins_the_workflow(live_server):
    """The service called is a Django project with flowscope: its request is a step of the
    same workflow, under the call that made it."""
    with capture_traces() as traces:
        Client().get("/call/requests/", {"url": f"{live_server.url}/downstream/42/"})
    caller = next(t for t in traces if t.root.name == "GET /call/<str:library>/")
    called = next(t for t in traces if t.root.name == "GET /downstream/<int:pk>/")
    [step] = external_steps(caller)
    assert called.correlation_id == caller.correlation_id
    assert called.root.parent_span_id == step.span_id
    assert step.metadata["path"] == "/downstream/{id}/"


def test_an_unsampled_workflow_makes_no_step_but_still_carries_its_ids(service, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SAMPLE_RATE": 0.0}
    trace, _ = call("requests", f"{service.url}/rates/")

    assert external_steps(trace) == []
    headers = service.headers()
    assert headers["X-Correlation-ID"] == trace.correlation_id
    assert headers["traceparent"] == f"00-{trace.trace_id}-{trace.root.span_id}-00"


@pytest.mark.parametrize("library", ["requests", "httpx", "urllib3"])
def test_calls_outside_a_traced_request_are_left_alone(service, library):
    with capture_traces() as traces:
        if library == "requests":
            requests.get(f"{service.url}/rates/", timeout=10)
        elif library == "httpx":
            httpx.get(f"{service.url}/rates/", timeout=10)
        else:
            urllib3.request("GET", f"{service.url}/rates/", timeout=10)
    assert traces == []
    headers = service.headers()
    assert headers["X-Correlation-ID"] is None
    assert headers["traceparent"] is None


def test_a_call_made_by_a_manual_test_run_says_it_was_synthetic(service):
    with synthetic():
        trace, _ = call("httpx", f"{service.url}/rates/")
    [step] = external_steps(trace)
    assert step.metadata["synthetic"] is True


@contextmanager
def started_with(settings, collectors):
    """The app as it starts with ``FLOWSCOPE["COLLECTORS"] = collectors``; then as before."""
    for collector in configured_collectors():
        collector.uninstall()
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": collectors}
    try:
        apps.get_app_config("flowscope").ready()
        yield
    finally:
        for collector in configured_collectors():
            collector.uninstall()
        settings.FLOWSCOPE = {**settings.FLOWSCOPE, "COLLECTORS": DEFAULTS["COLLECTORS"]}
        apps.get_app_config("flowscope").ready()


def test_each_library_is_switched_off_in_the_settings(service, settings):
    left_out = ("RequestsCollector", "Urllib3Collector")  # requests runs on urllib3
    collectors = [path for path in DEFAULTS["COLLECTORS"] if not path.endswith(left_out)]
    with started_with(settings, collectors):
        quiet, _ = call("requests", f"{service.url}/quiet/")
        [(_, _, quiet_headers)] = service.received
        loud, _ = call("httpx", f"{service.url}/loud/")

    assert external_steps(quiet) == []
    assert quiet_headers["traceparent"] is None
    assert [step.metadata["path"] for step in external_steps(loud)] == ["/loud/"]


def test_collectors_install_once_and_uninstall_to_the_library_as_it_was():
    collectors = [RequestsCollector(), HttpxCollector(), Urllib3Collector()]
    wrapped = {
        (requests.Session, "send"),
        (httpx.Client, "send"),
        (httpx.AsyncClient, "send"),
        (HTTPConnectionPool, "urlopen"),
    }
    originals = {target: getattr(*target).flowscope_original for target in wrapped}
    try:
        for collector in collectors:
            collector.uninstall()
            collector.uninstall()
        assert {target: getattr(*target) for target in wrapped} == originals
    finally:
        for collector in collectors:
            collector.install()
            collector.install()
    for target, original in originals.items():
        assert getattr(*target).flowscope_original is original


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("https://api.example.com/v1/charges", ("api.example.com", "/v1/charges", "")),
        ("https://user:pw@api.example.com:8443/", ("api.example.com:8443", "/", "")),
        ("http://[::1]:9000/a/7/b?x=1", ("[::1]:9000", "/a/{id}/b", "x={id}")),
        (
            f"https://s3.example.com/bucket/{uuid.UUID(ORDER_ID).hex}/report.pdf",
            ("s3.example.com", "/bucket/{uuid}/report.pdf", ""),
        ),
        (
            "https://api.example.com/reset/Zm9vYmFyMTIzNDU2Nzg5MA?sig=a1b2c3d4e5f6a7b8c9&q=shoes",
            ("api.example.com", "/reset/{token}", "sig={token}&q=shoes"),
        ),
        (
            "https://api.example.com/articles/a-rather-long-article-title-about-shoes",
            ("api.example.com", "/articles/{token}", ""),
        ),
        ("http://svc", ("svc", "/", "")),
        (
            "https://shop.example/cart;jsessionid=abc",
            ("shop.example", "/cart;jsessionid=[Filtered]", ""),
        ),
    ],
)
def test_urls_are_named_like_routes(url, described):
    assert describe_url(url) == described
