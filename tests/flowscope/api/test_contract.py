"""The API keeps its OpenAPI contract: schemathesis runs every phase and every check it has
(the command line's ``--checks all``) against the schema, in-process through the WSGI
application, as staff, as a signed-in user who is not staff and as an anonymous caller.
Any violation fails the test and is named: an undocumented status or media type, a body
unlike its schema, invalid input accepted, valid input refused, a 5xx.

The run is bounded (a few generated requests an operation, a fixed seed) so that it takes
about a minute; nothing is excluded."""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from rest_framework.authtoken.models import Token
from schemathesis.engine import events, from_schema

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_trace

SCHEMA = "/api/v1/debugging/schema/?format=json"
INGEST_KEY = "contract-ingest-key"
SEED = 15

pytestmark = pytest.mark.django_db(transaction=True)  # the requests run in other threads


@pytest.fixture(autouse=True)
def _ingest_key(settings):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": [INGEST_KEY]}


@pytest.fixture
def stored():
    """Something to list, read and compare: workflows with errors, one of each type."""
    writer.write(
        [
            make_trace("wf-1", workflow_type="checkout", errors=[make_error()]),
            make_trace("wf-2", workflow_type="checkout", complete=True),
        ]
    )


def token_headers(username, is_staff):
    user = get_user_model().objects.create_user(username, password="x", is_staff=is_staff)
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def contract_failures(headers, max_examples):
    """Every failed check and every error of one schemathesis run, as readable lines."""
    staff = token_headers("schema-reader", is_staff=True)
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "continue-on-failure": True,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": max_examples, "database": "none"},
            "headers": {"X-Flowscope-Key": INGEST_KEY, **headers},
        }
    )
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi(SCHEMA, app, config=config, headers=staff)
    found = []
    for event in from_schema(schema).execute():
        found.extend(problems_of(event))
    return found


def problems_of(event):
    if isinstance(event, events.ScenarioFinished):
        for checks in event.recorder.checks.values():
            for check in checks:
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    yield f"{failure.operation}: {failure.title}: {failure.message}"
    elif isinstance(event, events.NonFatalError):
        yield f"{event.label}: {event.info.title}: {event.info.message}"
    elif isinstance(event, events.FatalError):
        yield f"fatal: {event.exception!r}"
    elif isinstance(event, events.EngineFinished):
        yield from (f"{failure.operation}: {failure.message}" for failure in event.failures)


def report(failures):
    return "\n\n".join(sorted(set(failures)))


def test_the_api_keeps_its_contract_for_staff(stored):
    staff = token_headers("fuzzer", is_staff=True)
    failures = contract_failures(staff, max_examples=10)
    assert not failures, report(failures)


@pytest.mark.parametrize("caller", ["anonymous", "customer"])
def test_the_api_keeps_its_contract_for_callers_who_are_not_staff(stored, caller):
    headers = token_headers("customer", is_staff=False) if caller == "customer" else {}
    failures = contract_failures(headers, max_examples=3)
    assert not failures, report(failures)
