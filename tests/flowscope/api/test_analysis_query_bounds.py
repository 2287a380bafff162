"""The endpoints of replay, export, invariants, budgets, funnel and releases each run a
bounded number of queries, whatever the number of workflows, steps, errors, journeys and
releases stored."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from flowscope.recording import writer
from tests.flowscope.factories import make_error, make_span, make_trace
from tests.flowscope.journeys import Journeys

pytestmark = pytest.mark.django_db
API = "/api/v1/debugging/"
FUNNEL = ("login", "product_fetch", "cart_update", "checkout")
ENDPOINTS = [
    "invariants/",
    "budgets/",
    "funnel/",
    "releases/",
    "releases/compare/",
    "workflows/original/replay/",
    "workflows/original/replays/",
    "workflows/replay/replay-diff/",
    "workflows/original/export-test/",
]


def requests(scale):
    """A workflow of ``scale`` requests, each with queries, a cache read and an error."""
    return [
        make_span(
            "api",
            f"POST /api/v1/cart/items/{i}/",
            method="POST",
            path=f"/api/v1/cart/items/{i}/",
            status_code=500,
            query_count=2,
            request_headers={"Content-Type": "application/json", "Authorization": "[Filtered]"},
            request_body={"product": i, "password": "[Filtered]"},
            response_body={"detail": "boom"},
        )
        for i in range(scale)
    ] + [make_span("database", f"SELECT {i}", sql=f"SELECT ? FROM t{i}") for i in range(scale)]


def store(scale):
    """``scale`` times over: journeys through the funnel, workflows of two releases and of
    every type, with errors, and a workflow and its replay of ``scale`` requests each."""
    journeys = Journeys(now() - timedelta(minutes=5))
    for i in range(scale):
        for number, workflow_type in enumerate(FUNNEL):
            outcome = "failed" if number == i % 4 else "completed"
            journeys.workflow(f"j{scale}-{i}", workflow_type, outcome)
    for i in range(scale):
        for release in ("r1", "r2"):
            trace = make_trace(
                f"{release}-{scale}-{i}",
                at=now() - timedelta(minutes=10),
                workflow_type="checkout",
                complete=True,
                errors=[make_error(f"e{i}")],
                spans=[make_span("database", f"SELECT {i}", sql=f"SELECT ? FROM t{i}")],
                query_count=i,
            )
            trace.release = release
            writer.write([trace])
    replays = [f"replay-{scale}-{i}" for i in range(scale)]
    for cid in ("original", "replay", *replays):
        trace = make_trace(cid, at=now() - timedelta(minutes=3), spans=requests(scale))
        if cid != "original":
            trace.workflow_metadata.update(synthetic=True, replay_of="original")
        writer.write([trace])


def counts(client):
    found = {}
    for endpoint in ENDPOINTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(API + endpoint)
        assert response.status_code == 200, (endpoint, response.content[:300])
        found[endpoint] = len(queries)
    return found


def test_each_new_endpoint_runs_as_many_queries_for_much_data_as_for_little(staff_client):
    store(4)  # a journey stops at each step of the funnel
    little = counts(staff_client)
    store(12)
    much = counts(staff_client)
    assert much == little
