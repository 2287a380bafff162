"""A whole workflow, run step by step under one correlation ID, so that the run is one
``WorkflowSession`` whose trace the dashboard can open while it runs.

Values extracted from one answer (a token, a product id) fill later steps in memory only;
what is reported is scrubbed. A failing step stops the run and the steps after it are
reported as skipped. The last step sends ``X-Workflow-Complete`` so a workflow that has no
``complete_on`` rule still ends as completed when it succeeds.
"""

import time
from urllib.parse import urlencode

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import payloads, response_body, safety
from flowscope.manual_testing.environ import ManualRequest
from flowscope.manual_testing.json_paths import MISSING, lookup
from flowscope.manual_testing.templates import MissingValue, render, render_path
from flowscope.records.scrubbing import scrub_text


class StepRefused(Exception):
    """A filled-in step that the safety checks refuse (a parameter made it unsafe)."""


def run(workflow, params, origin, correlation_id, worker):
    """Run ``workflow`` with ``params`` over its defaults, its requests sent through
    ``worker`` (``dispatch.start_run``: what they write is rolled back at its end);
    return the run's result."""
    values = {**workflow.params, **params}
    headers = {"X-Correlation-ID": correlation_id, "X-Workflow-Type": workflow.workflow_type}
    started = time.perf_counter()
    reports, failed = [], False
    for index, step in enumerate(workflow.steps):
        if failed:
            reports.append({**_describe(step, step.path), "skipped": True})
            continue
        if index == len(workflow.steps) - 1:
            headers["X-Workflow-Complete"] = "true"
        report, extracted = _run_step(step, values, origin, headers, worker)
        values.update(extracted)
        reports.append(report)
        failed = not report["passed"]
    return {
        "workflow": workflow.name,
        "passed": not failed,
        "correlation_id": correlation_id,
        "total_time_ms": round((time.perf_counter() - started) * 1000, 1),
        "steps": reports,
    }


def _describe(step, path):
    expected = step.expected_status
    return {
        "name": step.name,
        "method": step.method,
        "path": scrub_text(path),
        "status_code": None,
        "expected_status": expected[0] if len(expected) == 1 else list(expected) or None,
        "passed": False,
        "response_time_ms": None,
        "skipped": False,
    }


def _run_step(step, values, origin, headers, worker):
    try:
        tested = _tested_request(step, values)
    except (MissingValue, StepRefused) as exc:
        return {**_describe(step, step.path), "error": str(exc)}, {}
    response = worker.send(
        tested, origin, timeout_ms=flowscope_settings.MANUAL_TESTING_TIMEOUT_MS, headers=headers
    )
    report = _describe(step, tested.path)
    report["status_code"] = response.status_code
    report["response_time_ms"] = round(response.elapsed_ms, 1)
    document = response_body.parsed_json(response)
    error = response.error or _status_error(step, response.status_code, document)
    extracted = {}
    if not error:
        extracted, error = _extract(step, values, document)
    report["passed"] = not error
    if error:
        report["error"] = scrub_text(error)
    return report, extracted


def _tested_request(step, values):
    path = render_path(step.path, values)
    headers = {name: _text(value) for name, value in render(step.headers, values).items()}
    content_type = payloads.content_type_of(headers)
    body, content_type = payloads.encode(render(step.body, values), content_type)
    problems = safety.target_problems(path) + safety.header_problems(headers)
    if len(body) > flowscope_settings.MANUAL_TESTING_MAX_PAYLOAD_BYTES:
        problems.append("The body is over MANUAL_TESTING_MAX_PAYLOAD_BYTES.")
    if problems:
        raise StepRefused(" ".join(problems))
    path, pasted_query = safety.split_target(path)
    query = {k: v for k, v in render(step.query, values).items() if v not in ("", None)}
    return ManualRequest(
        method=step.method,
        path=path,
        query_string="&".join(p for p in (pasted_query, urlencode(query, doseq=True)) if p),
        headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
        body=body,
        content_type=content_type,
    )


def _text(value):
    return value if isinstance(value, str) else "" if value is None else str(value)


def _status_error(step, status_code, document):
    expected = step.expected_status
    if (status_code in expected) if expected else status_code < 400:
        return ""
    wanted = " or ".join(map(str, expected)) if expected else "a status below 400"
    detail = document.get("detail") if isinstance(document, dict) else None
    return f"Expected {wanted}, got {status_code}" + (f": {detail}" if detail else ".")


def _extract(step, values, document):
    extracted = {}
    for name, path_template in step.extract.items():
        path = render(path_template, {**values, **extracted})
        found = lookup(document, str(path)) if document is not MISSING else MISSING
        if found is MISSING:
            return extracted, f"Found nothing at {path!r} in the answer, for {{{name}}}."
        extracted[name] = found
    return extracted, ""
