import asyncio
import re
import threading

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient, Client, override_settings

from flowscope.testing import capture_traces

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.flowscope.capture.views"),
]


def only(traces):
    assert len(traces) == 1, traces
    return traces[0]


def layers(trace):
    return [span.layer for span in trace.spans]


def test_a_request_becomes_an_api_step_named_by_its_route():
    with capture_traces() as traces:
        response = Client().get("/sync/a1/")
    trace = only(traces)
    assert trace.root.name == "GET /sync/<str:tag>/"
    assert trace.root.metadata["status_code"] == 200
    assert trace.root.metadata["path"] == "/sync/a1/"
    assert response["X-Correlation-ID"] == trace.correlation_id
    assert re.fullmatch(rf"00-{trace.trace_id}-{trace.root.span_id}-01", response["traceparent"])


def test_regex_routes_are_named_by_their_pattern():
    with capture_traces() as traces:
        Client().get("/legacy/2024/")
    assert only(traces).root.name == "GET /legacy/(?P<year>[0-9]{4})/"


def test_database_and_cache_steps_are_children_of_the_api_step():
    with capture_traces() as traces:
        Client().get("/sync/b2/")
    trace = only(traces)
    assert layers(trace) == ["database", "cache", "cache"]
    assert {span.parent_span_id for span in trace.spans} == {trace.root.span_id}
    query, get, put = trace.spans
    quote = connection.ops.quote_name
    assert query.metadata["sql"].startswith(f"SELECT ? AS {quote('a')} FROM {quote('auth_user')}")
    assert "user-b2" not in query.metadata["sql"]  # the shape, its values beside it
    assert "user-b2" in query.metadata["params"]
    assert query.metadata["call_site"]["function"] == "sync_view"
    assert query.metadata["call_site"]["file"].endswith("views.py")
    assert (get.name, get.metadata["hit"], get.metadata["key"]) == ("cache.get", False, "key-b2")
    assert put.name == "cache.set"
    assert trace.root.metadata["query_count"] == 1


def test_the_given_correlation_id_is_kept():
    with capture_traces() as traces:
        response = Client().get("/sync/c/", HTTP_X_CORRELATION_ID="checkout-42.a:b")
    assert only(traces).correlation_id == "checkout-42.a:b"
    assert only(traces).correlation_given
    assert response["X-Correlation-ID"] == "checkout-42.a:b"


def test_a_request_without_a_correlation_id_or_workflow_type_is_outside_workflows():
    with capture_traces() as traces:
        Client().get("/sync/plain/")
    trace = only(traces)
    assert (trace.correlation_given, trace.outside_workflows) == (False, True)


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "semi;colon", "<script>", ""])
def test_an_invalid_correlation_id_is_replaced_and_noted(bad):
    with capture_traces() as traces:
        response = Client().get("/sync/d/", HTTP_X_CORRELATION_ID=bad)
    trace = only(traces)
    assert response.status_code == 200
    assert trace.correlation_id != bad
    assert re.fullmatch(r"[0-9a-f]{32}", trace.correlation_id)
    assert trace.workflow_metadata["invalid_correlation_id"] == bad[:100]
    assert not trace.correlation_given


def test_traceparent_gives_the_correlation_id_and_remote_parent():
    header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with capture_traces() as traces:
        response = Client().get("/sync/e/", HTTP_TRACEPARENT=header)
    trace = only(traces)
    assert trace.correlation_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.root.parent_span_id == "00f067aa0ba902b7"
    assert trace.correlation_given
    assert response["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")


TRACE_ID, SPAN_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


@pytest.mark.parametrize(
    "header",
    [
        f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",  # uppercase hex
        f"00-{TRACE_ID}-{SPAN_ID.upper()}-01",
        f"00-{TRACE_ID}-{SPAN_ID}-0A",
        f"00-{'0' * 32}-{SPAN_ID}-01",  # all-zero trace id
        f"00-{TRACE_ID}-{'0' * 16}-01",  # all-zero span id
        f"ff-{TRACE_ID}-{SPAN_ID}-01",  # version ff
        f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",  # wrong lengths
        f"00-{TRACE_ID}0-{SPAN_ID}-01",
        f"00-{TRACE_ID}-{SPAN_ID}0-01",
        f"00-{TRACE_ID}-{SPAN_ID}-011",
        f"00-{TRACE_ID}-{SPAN_ID}-01-extra",  # version 00 has nothing after the flags
    ],
)
def test_an_invalid_traceparent_is_ignored_and_a_new_trace_started(header):
    with capture_traces() as traces:
        response = Client().get("/sync/tp/", HTTP_TRACEPARENT=header)
    trace = only(traces)
    assert response.status_code == 200
    assert trace.correlation_id != TRACE_ID.lower()
    assert re.fullmatch(r"[0-9a-f]{32}", trace.correlation_id)
    assert trace.root.parent_span_id == ""
    assert not response["traceparent"].startswith(f"00-{TRACE_ID}")


def test_a_later_traceparent_version_is_read_as_far_as_it_is_known():
    with capture_traces() as traces:
        Client().get("/sync/tp/", HTTP_TRACEPARENT=f"01-{TRACE_ID}-{SPAN_ID}-01-future")
    trace = only(traces)
    assert (trace.correlation_id, trace.root.parent_span_id) == (TRACE_ID, SPAN_ID)


def test_async_views_are_traced():
    async def run():
        return await AsyncClient().get("/async/f6/")

    with capture_traces() as traces:
        response = async_to_sync(run)()
    assert response.status_code == 200
    trace = only(traces)
    assert trace.root.name == "GET /async/<str:tag>/"
    assert layers(trace) == ["database", "cache"]


def test_concurrent_async_requests_are_kept_apart():
    async def run():
        client = AsyncClient()
        return await asyncio.gather(
            *[
                client.get(f"/async/t{index}/", headers={"X-Correlation-ID": f"wf-{index}"})
                for index in range(8)
            ]
        )

    with capture_traces() as traces:
        async_to_sync(run)()
    assert len(traces) == 8
    for trace in traces:
        tag = trace.root.metadata["path"].split("/")[2]
        assert trace.correlation_id == f"wf-{tag[1:]}"
        assert [s.metadata.get("key") for s in trace.spans if s.layer == "cache"] == [f"key-{tag}"]


def test_concurrent_threaded_requests_are_kept_apart():
    def request(index):
        try:
            Client().get(f"/sync/t{index}/", HTTP_X_CORRELATION_ID=f"th-{index}")
        finally:
            connection.close()

    with capture_traces() as traces:
        threads = [threading.Thread(target=request, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(traces) == 8
    for trace in traces:
        index = trace.correlation_id.split("-")[1]
        assert [s.metadata["key"] for s in trace.spans if s.layer == "cache"] == [
            f"key-t{index}",
            f"key-t{index}",
        ]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"password": "hunter2", "items": [1, 2, 3]}', "application/json"),
        (bytes(range(256)) * 10, "application/octet-stream"),
        (b"x" * 300_000, "text/plain"),
        ("caf\u00e9 \u2603".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_the_view_reads_the_full_body_and_the_response_is_unchanged(body, content_type):
    with override_settings(FLOWSCOPE={"ENABLED": False}):
        untraced = Client().post("/echo/", body, content_type=content_type)
    with capture_traces() as traces:
        traced = Client().post("/echo/", body, content_type=content_type)
    assert traced.content == untraced.content == body
    assert only(traces).root.metadata["status_code"] == 200


def test_ignored_paths_are_not_traced(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "IGNORE_PATHS": ["/sync/private"]}
    with capture_traces() as traces:
        Client().get("/static/thing/")
        Client().get("/sync/private-1/")
        Client().get("/ws/debugging/anything/")  # where flowscope's sockets were
        Client().get("/sync/public/")
    assert [t.root.metadata["path"] for t in traces] == ["/sync/public/"]


def test_disabled_flowscope_traces_nothing_and_adds_no_headers(settings):
    settings.FLOWSCOPE = {"ENABLED": False}
    with capture_traces() as traces:
        response = Client().get("/sync/off/")
    assert traces == []
    assert "X-Correlation-ID" not in response


def test_unsampled_workflows_keep_no_steps_but_always_their_errors(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SAMPLE_RATE": 0.0}
    with capture_traces() as traces:
        Client().get("/sync/s/")
        Client(raise_request_exception=False).get("/crash/")
    ok, crashed = traces
    assert (ok.sampled, ok.spans, ok.errors) == (False, [], [])
    assert ok.root.metadata["query_count"] == 1  # still counted for the rollups
    assert crashed.errors[0].error_type == "RuntimeError"


def test_sampling_is_decided_per_correlation_id(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "SAMPLE_RATE": 0.5}
    with capture_traces() as traces:
        for index in range(40):
            for _ in range(2):
                Client().get("/sync/x/", HTTP_X_CORRELATION_ID=f"wf-{index}")
    decisions = {}
    for trace in traces:
        decisions.setdefault(trace.correlation_id, set()).add(trace.sampled)
    assert all(len(d) == 1 for d in decisions.values())
    sampled = sum(True in d for d in decisions.values())
    assert 8 <= sampled <= 32


def test_an_unhandled_exception_is_recorded_and_the_500_is_unchanged():
    with capture_traces() as traces:
        response = Client(raise_request_exception=False).get("/crash/", {"o": "991"})
    assert response.status_code == 500
    trace = only(traces)
    (error,) = trace.errors
    assert error.error_type == "RuntimeError"
    assert error.message == "inventory service exploded for order 991"
    assert error.stack_trace[-1]["function"] == "crash_view"
    assert error.stack_trace[-1]["in_app"] is True
    step = trace.spans[0]
    assert (step.name, step.status, error.span_id) == ("inventory.reserve", "error", step.span_id)
    assert trace.root.status == "error"
    assert error.request_context["path"] == "/crash/"


def test_annotate_adds_facts_to_the_open_step_scrubbed():
    with capture_traces() as traces:
        Client().get("/annotated/")
    trace = only(traces)
    (step,) = trace.spans
    assert step.metadata == {"order_total": "46.75", "password": "[Filtered]"}
    assert "outside" not in trace.root.metadata


def test_a_5xx_answer_without_exception_is_an_error():
    with capture_traces() as traces:
        Client().get("/unavailable/")
    (error,) = only(traces).errors
    assert (error.error_type, error.message) == (
        "HTTP 503",
        "503 Service Unavailable: upstream failed",
    )


def test_log_warnings_become_errors_of_the_workflow():
    with capture_traces() as traces:
        Client().get("/warn/", HTTP_X_CORRELATION_ID="wf-warn")
    (error,) = only(traces).errors
    assert (error.severity, error.message) == ("warning", "stock low for product 42")
    assert error.error_type == "log:tests.app"
    assert error.stack_trace[0]["function"] == "warn_view"


def test_repeated_queries_are_flagged_as_n_plus_one():
    with capture_traces() as traces:
        Client().get("/n-plus-one/")
    trace = only(traces)
    (finding,) = trace.root.metadata["n_plus_one"]
    assert finding["count"] == 6
    assert finding["call_site"]["function"] == "many_queries_view"
    assert all(span.metadata.get("repeated") for span in trace.spans)


def test_steps_beyond_the_limit_are_counted_not_kept(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MAX_STEPS_PER_REQUEST": 3}
    with capture_traces() as traces:
        Client().get("/n-plus-one/")
    trace = only(traces)
    assert len(trace.spans) == 3
    assert trace.root.metadata["dropped_steps"] == 3
