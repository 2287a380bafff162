"""What a manual test may not send is refused with a 400 naming the field, and nothing is
dispatched or stored."""

import pytest

from flowscope.manual_testing import safety
from flowscope.models import TestRun
from flowscope.testing import capture_traces
from tests.flowscope.manual_testing.conftest import MANUAL_TESTING

URL = f"{MANUAL_TESTING}test_endpoint/"


def refused(client, field, **spec):
    body = {"method": "GET", "path": "/api/v1/products/", **spec}
    with capture_traces() as traces:
        response = client.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert (answer["detail"], answer["code"]) == ("Invalid input.", "invalid")
    assert field in answer["errors"], answer
    assert traces == []
    assert not TestRun.objects.exists()
    return answer["errors"][field]


@pytest.mark.parametrize(
    "path, says",
    [
        ("http://169.254.169.254/latest/meta-data/", "not a URL"),
        ("https://example.com/api/v1/products/", "not a URL"),
        ("//evil.example/", "single /"),
        ("//evil.example/api/v1/products/", "single /"),
        ("/\\evil.example/", "single /"),
        ("file:///etc/passwd", "not a URL"),
        ("gopher:", "not a URL"),
        ("gopher://evil.example:70/_stats", "not a URL"),
        ("api/v1/products/", "not a URL"),
        ("/api/v1/../../etc/passwd", ". or .."),
        ("/api/v1/products/%2e%2e/%2E%2E/admin/", ". or .."),
        ("/api/v1/products/..%2f..%2fadmin/", ". or .."),
        ("/api/v1/%252e%252e/admin/", ". or .."),
        ("/api/v1/products/./", ". or .."),
        ("/api\\v1\\products\\", "backslashes"),
        ("/api/v1/products/\r\nX-Injected: 1", "control characters"),
        ("/api/v1/products/\x00", "Null characters"),  # DRF refuses them first
        ("/api/v1/prod ucts/", "control characters"),
        ("/api/v1/products/#top", "fragment"),
        ("/nowhere/", "No route"),
        ("/api/v1/debugging/health/", "Flowscope's own"),
        ("/api/v1/debugging/manual-testing/test_endpoint/", "Flowscope's own"),
        ("/admin/", "the admin"),
        ("/admin/auth/user/", "the admin"),
        ("/" + "a" * 3000, "2048"),
    ],
)
def test_paths_that_are_not_plain_paths_of_this_project(staff_client, path, says):
    (message,) = refused(staff_client, "path", path=path)
    assert says in message


@pytest.mark.parametrize(
    "headers, says",
    [
        ({"X-Evil\r\nInjected": "1"}, "control character"),
        ({"X-Test": "a\r\nSet-Cookie: session=stolen"}, "control character"),
        ({"X-Test": "a\nb"}, "control character"),
        ({"X-Test": "a\rb"}, "control character"),
        ({"Bad Name": "1"}, "not a valid HTTP header name"),
        ({"X:Colon": "1"}, "not a valid HTTP header name"),
        ({"X_Underscore": "1"}, "use - not _"),
        ({"Host": "evil.example"}, "set by flowscope"),
        ({"X-Correlation-ID": "mine"}, "set by flowscope"),
        ({"Content-Length": "5"}, "set by flowscope"),
        ({"X-Long": "x" * 9000}, "over 8192"),
        ({f"X-H{i}": "1" for i in range(51)}, "At most 50 headers"),
    ],
)
def test_headers_that_cannot_be_sent(staff_client, headers, says):
    messages = refused(staff_client, "headers", headers=headers)
    assert any(says in message for message in messages), messages


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", ""])
def test_methods_outside_the_standard_set(staff_client, method):
    refused(staff_client, "method", method=method)


def test_the_payload_size_is_limited(staff_client, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_MAX_PAYLOAD_BYTES": 10}
    (message,) = refused(staff_client, "payload", method="POST", payload={"a": "0123456789"})
    assert message == "At most 10 bytes."


def test_the_timeout_is_limited(staff_client, settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "MANUAL_TESTING_TIMEOUT_MS": 1000}
    refused(staff_client, "timeout_ms", timeout_ms=1001)
    refused(staff_client, "timeout_ms", timeout_ms=0)


@pytest.mark.parametrize(
    "assertion",
    [
        {"type": "body"},
        {"type": "json_path", "equals": 1},
        {"type": "json_path", "path": "a..b", "equals": 1},
        {"type": "header", "name": "X-A"},
        {"type": "response_time", "under_ms": "fast"},
    ],
)
def test_malformed_assertions(staff_client, assertion):
    (message,) = refused(staff_client, "assertions", assertions=[assertion])
    assert message.startswith("#1: ")


def test_query_values_are_values_or_lists_of_values(staff_client):
    refused(staff_client, "query", query={"a": {"nested": 1}})


def test_a_pasted_query_string_is_kept_and_plain_paths_pass():
    assert safety.target_problems("/api/v1/products/?search=a/../b") == []
    assert safety.split_target("/p/?a=1&b=2") == ("/p/", "a=1&b=2")
    assert safety.target_problems("/api/v1/products/%31/") == []  # %31 is "1"
