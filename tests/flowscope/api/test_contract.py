"""The API keeps its OpenAPI contract: schemathesis runs every phase and every check it has
(the command line's ``--checks all``) against the schema, over HTTP to the live test
server, as staff, as a signed-in user who is not staff and as an anonymous caller.
Any violation fails the test and is named: an undocumented status or media type, a body
unlike its schema, invalid input accepted, valid input refused, a 5xx.

The run is bounded (a few generated requests an operation, a fixed seed) so that it takes
about a minute; nothing is excluded."""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from schemathesis.engine import events, from_schema

from flowscope.models import AlertEvent
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_error, make_trace

SCHEMA = "/debugging/schema/?format=json"
INGEST_KEY = "contract-ingest-key"
SEED = 15

# Operations whose input follows rules a JSON schema cannot state, so that input valid by
# the schema may still break one and be refused with a 400 naming the rule: a configuration
# name unique per user, threshold levels in order of severity; a report period that ends
# after it starts and spans at most 31 days; a tested path and method this project serves,
# a workflow that is defined, with its own parameters; masked values sent again on a
# re-run; each browser event by the rules of its type. Every other check runs on them.
RULES_BEYOND_THE_SCHEMA = [
    ("POST", "dashboard-config/"),
    ("PUT", "dashboard-config/{id}/"),
    ("PATCH", "dashboard-config/{id}/"),
    ("POST", "reports/generate_system_health_report/"),
    ("POST", "reports/generate_performance_report/"),
    ("POST", "manual-testing/test_endpoint/"),
    ("POST", "manual-testing/test_workflow/"),
    ("POST", "test-runs/{id}/rerun/"),
    ("POST", "ingest/"),
]
PHASES = ("examples", "coverage", "fuzzing", "stateful")
VALID_OR_400 = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the server answers from another thread
    # Hypothesis warns when it describes a large generated value; that is no failure here.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]


@pytest.fixture(autouse=True)
def _ingest_key(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": [INGEST_KEY]}


@pytest.fixture
def stored():
    """Something to list, read and compare: workflows with errors, one of each type, and
    an alert."""
    writer.write(
        [
            make_trace("wf-1", workflow_type="checkout", errors=[make_error()]),
            make_trace("wf-2", workflow_type="checkout", complete=True),
        ]
    )
    AlertEvent.objects.create(
        rule="slow",
        kind="p95",
        subject="GET /api/v1/x/",
        claim_key="slow-1",
        value=1840.0,
        threshold=1000.0,
        unit="ms",
        message="p95 1,840 ms over 1,000 ms on GET /api/v1/x/ (1 min, 3 requests)",
        details={"window_seconds": 60, "count": 3},
        first_fired_at=T0,
        last_fired_at=T0,
        deliveries=[
            {"destination": "email", "target": "ops@example.com", "status": "sent", "attempts": 1},
            {
                "destination": "webhook",
                "target": "hooks.example.com",
                "status": "failed",
                "attempts": 3,
                "error": "HTTPError 500",
            },
        ],
    )


def token_headers(username, is_staff):
    user = get_user_model().objects.create_user(username, password="x", is_staff=is_staff)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def contract_failures(server, headers, max_examples, phases=PHASES):
    """Every failed check and every error of one schemathesis run, as readable lines."""
    staff = token_headers("schema-reader", is_staff=True)
    config = schemathesis.Config.from_dict(
        {
            "phases": {phase: {"enabled": phase in phases} for phase in PHASES},
            "seed": SEED,
            "cache": {"enabled": False},  # each run from scratch, leaving nothing behind
            "workers": 1,
            "continue-on-failure": True,
            "suppress-health-check": ["all"],
            "generation": {
                "max-examples": max_examples,
                "database": "none",
                # The run sends real credentials; generated ones would be sent beside them.
                "with-security-parameters": False,
                # Text never holds NUL: Django's forms refuse it (400) and PostgreSQL
                # cannot store it, so "valid" text with NUL would be refused.
                "allow-x00": False,
            },
            "headers": {"X-Flowscope-Key": INGEST_KEY, **headers},
            "operations": [
                {
                    "include-method": method,
                    "include-path": f"/debugging/{path}",
                    "checks": {"positive_data_acceptance": {"expected-statuses": VALID_OR_400}},
                }
                for method, path in RULES_BEYOND_THE_SCHEMA
            ],
        }
    )
    schema = schemathesis.openapi.from_url(server.url + SCHEMA, config=config, headers=staff)
    found = []
    for event in from_schema(schema).execute():
        found.extend(problems_of(event))
    return found


def problems_of(event):
    if isinstance(event, events.ScenarioFinished):
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.failure_info is not None:
                    yield described(check.failure_info.failure, event.recorder, case_id)
    elif isinstance(event, events.NonFatalError):
        yield f"{event.label}: {event.info.title}: {event.info.message}"
    elif isinstance(event, events.FatalError):
        yield f"fatal: {event.exception!r}"
    elif isinstance(event, events.EngineFinished):
        yield from (f"{failure.operation}: {failure.message}" for failure in event.failures)


def described(failure, recorder, case_id):
    interaction = recorder.interactions.get(case_id)
    answer = ""
    if interaction is not None and interaction.response is not None:
        request, response = interaction.request, interaction.response
        answer = f" [{request.method} {request.uri} -> {response.status_code}]"
    return f"{failure.operation}: {failure.title}{answer}: {failure.message}"


def report(failures):
    return "\n\n".join(sorted(set(failures)))


def test_the_api_keeps_its_contract_for_staff(live_server, stored):
    staff = token_headers("fuzzer", is_staff=True)
    failures = contract_failures(live_server, staff, max_examples=10)
    assert not failures, report(failures)


@pytest.mark.parametrize("caller", ["anonymous", "customer"])
def test_the_api_keeps_its_contract_for_callers_who_are_not_staff(live_server, stored, caller):
    """Refused before any input is read: a few fuzzed requests an operation show what the
    refusals and the health check answer (the coverage phase's hundreds of edge cases
    would all be refused alike)."""
    headers = token_headers("customer", is_staff=False) if caller == "customer" else {}
    failures = contract_failures(live_server, headers, max_examples=3, phases=("fuzzing",))
    assert not failures, report(failures)
