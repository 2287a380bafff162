"""One endpoint, tested: send the request, check its status and assertions, report.

Without an ``expected_status`` a test passes on any answer below 400.
"""

from urllib.parse import urlencode

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import assertions, payloads, response_body
from flowscope.manual_testing.environ import ManualRequest
from flowscope.manual_testing.safety import split_target
from flowscope.records.scrubbing import scrub_headers, scrub_text


def manual_request_for(spec):
    """The ``ManualRequest`` of a validated test (``method``, ``path`` and the optional
    ``headers``, ``query``, ``payload``)."""
    path, pasted_query = split_target(spec["path"])
    extra_query = urlencode(spec.get("query") or {}, doseq=True)
    headers = spec.get("headers") or {}
    content_type = payloads.content_type_of(headers)
    body, content_type = payloads.encode(spec.get("payload"), content_type)
    return ManualRequest(
        method=spec["method"],
        path=path,
        query_string="&".join(part for part in (pasted_query, extra_query) if part),
        headers={name: value for name, value in headers.items() if name.lower() != "content-type"},
        body=body,
        content_type=content_type,
    )


def timeout_of(spec):
    return spec.get("timeout_ms") or flowscope_settings.MANUAL_TESTING_TIMEOUT_MS


def status_passes(status_code, expected_status):
    if status_code is None:
        return False
    return status_code < 400 if expected_status is None else status_code == expected_status


def run(spec, origin, correlation_id, worker):
    """Send the test through ``worker`` (``dispatch.start_run``) and return its result
    (scrubbed, ready to show and to store)."""
    response = worker.send(
        manual_request_for(spec),
        origin,
        timeout_ms=timeout_of(spec),
        headers={"X-Correlation-ID": correlation_id},
    )
    document = response_body.parsed_json(response)
    checks = [assertions.evaluate(a, response, document) for a in spec.get("assertions") or ()]
    expected = spec.get("expected_status")
    passed = status_passes(response.status_code, expected) and all(c["passed"] for c in checks)
    result = {
        "passed": passed,
        "status_code": response.status_code,
        "expected_status": expected,
        "response_time_ms": round(response.elapsed_ms, 1),
        "response_headers": scrub_headers(response.headers),
        "response_body": response_body.displayed(response, document),
        **response_body.truncation(response),
        "correlation_id": correlation_id,
        "assertion_results": checks,
    }
    if response.error:
        result["error"] = scrub_text(response.error)
    return result
