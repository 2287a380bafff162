"""Workflow definitions: ``FLOWSCOPE["WORKFLOW_DEFINITIONS"]``, a dict or a JSON file.

Declarative, so that a project describes its own workflows and flowscope knows none::

    "login": {
        "description": "Sign in.",
        "params": {"username": "alice", "password": "alice-demo-pass"},  # the defaults
        "steps": [{
            "name": "log in",
            "method": "POST",
            "path": "/api/v1/auth/login/",               # {placeholders} allowed
            "headers": {}, "query": {},                   # optional
            "body": {"username": "{username}", "password": "{password}"},
            "expected_status": 200,                       # or a list; default: any < 400
            "extract": {"token": "token"},                # name -> JSON path of the answer
        }],
    }

A step's placeholders name parameters or values extracted by an earlier step; that is
checked when the definitions are read, so a typo is an error that names it, not a step
that fails later. ``"workflow_type"`` (default: the name) is sent as ``X-Workflow-Type``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from flowscope.conf import flowscope_settings
from flowscope.manual_testing import json_paths, templates
from flowscope.manual_testing.safety import METHODS
from flowscope.records.correlation import WORKFLOW_TYPE

STEP_KEYS = {"name", "method", "path", "headers", "query", "body", "expected_status", "extract"}
WORKFLOW_KEYS = {"description", "params", "steps", "workflow_type"}


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    headers: dict
    query: dict
    body: object
    expected_status: tuple
    extract: dict


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    params: dict
    steps: tuple
    workflow_type: str


def all_workflows():
    """Every configured workflow by name; ``ImproperlyConfigured`` says what is wrong."""
    configured = flowscope_settings.WORKFLOW_DEFINITIONS
    if isinstance(configured, str | Path):
        configured = _read_file(Path(configured))
    if not isinstance(configured, dict):
        raise _invalid("a dict of workflows by name, or the path of a JSON file holding one")
    return {name: _workflow(name, spec) for name, spec in configured.items()}


def _read_file(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise _invalid(f"a readable JSON file ({exc})") from exc


def _invalid(what, where=""):
    prefix = f"{where}: " if where else ""
    return ImproperlyConfigured(f'FLOWSCOPE["WORKFLOW_DEFINITIONS"] {prefix}needs {what}.')


def _workflow(name, spec):
    if not (isinstance(name, str) and WORKFLOW_TYPE.fullmatch(name)):
        raise _invalid("names of 1-64 of A-Z a-z 0-9 _ . : -", repr(name))
    _check_keys(spec, WORKFLOW_KEYS, name)
    params = spec.get("params", {})
    if not isinstance(params, dict) or not spec.get("steps"):
        raise _invalid("a dict of params and a list of steps", name)
    steps = tuple(_step(f"{name}, step {i + 1}", s) for i, s in enumerate(spec["steps"]))
    _check_placeholders(name, params, steps)
    workflow_type = spec.get("workflow_type", name)
    if not WORKFLOW_TYPE.fullmatch(str(workflow_type)):
        raise _invalid("a workflow_type of 1-64 of A-Z a-z 0-9 _ . : -", name)
    return Workflow(name, str(spec.get("description", "")), params, steps, workflow_type)


def _check_keys(spec, allowed, where):
    if not isinstance(spec, dict):
        raise _invalid("a dict", where)
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise _invalid(f"only the keys {', '.join(sorted(allowed))}, not {unknown}", where)


def _step(where, spec):
    _check_keys(spec, STEP_KEYS, where)
    method = str(spec.get("method", "")).upper()
    path = spec.get("path")
    if method not in METHODS or not isinstance(path, str) or not path.startswith("/"):
        raise _invalid(f"a method ({', '.join(METHODS)}) and a path starting with /", where)
    return Step(
        name=str(spec.get("name") or f"{method} {path}"),
        method=method,
        path=path,
        headers=_dict(spec, "headers", where),
        query=_dict(spec, "query", where),
        body=spec.get("body"),
        expected_status=_statuses(spec.get("expected_status"), where),
        extract=_extractions(spec, where),
    )


def _dict(spec, key, where):
    value = spec.get(key) or {}
    if not isinstance(value, dict):
        raise _invalid(f"{key} as a dict", where)
    return value


def _statuses(value, where):
    values = value if isinstance(value, list) else [] if value is None else [value]
    if not all(isinstance(v, int) and 100 <= v <= 599 for v in values):
        raise _invalid("an expected_status of HTTP status codes", where)
    return tuple(values)


def _extractions(spec, where):
    extract = _dict(spec, "extract", where)
    for name, path in extract.items():
        try:
            json_paths.parse(path)
        except (ValueError, AttributeError) as exc:
            raise _invalid(f"JSON paths to extract ({name}: {exc})", where) from exc
    return extract


def _check_placeholders(name, params, steps):
    known = set(params)
    for index, step in enumerate(steps):
        used = templates.names_in([step.path, step.headers, step.query, step.body])
        used |= templates.names_in(list(step.extract.values()))
        unknown = sorted(used - known)
        if unknown:
            where = f"{name}, step {index + 1}"
            raise _invalid(f"placeholders that are params or extracted before: {unknown}", where)
        known |= set(step.extract)
