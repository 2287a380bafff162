"""WORKFLOWS and WORKFLOW_DEFINITIONS are checked at start."""

import pytest


def with_workflows(settings, workflows):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOWS": workflows}


def test_the_examples_workflows_are_fine(reported):
    assert reported("flowscope.E007") == []
    assert reported("flowscope.W014") == []
    assert reported("flowscope.E008") == []


@pytest.mark.parametrize(
    ("workflows", "named"),
    [
        (["checkout"], "FLOWSCOPE['WORKFLOWS'] must be a dict"),
        ({"check out": {}}, "['check out'] is not a workflow type"),
        ({"checkout": ["POST /x/"]}, "['checkout'] must be a dict with the keys"),
        ({"checkout": {"route": []}}, "['checkout'] must be a dict with the keys"),
        ({"checkout": {"routes": "POST /x/"}}, "['checkout']['routes'] must be a list"),
        ({"checkout": {"complete_on": ["FETCH /x/"]}}, "has 'FETCH /x/', which is not a route"),
        ({"checkout": {"routes": ["api/v1/x/"]}}, "has 'api/v1/x/', which is not a route"),
        ({"checkout": {"routes": [7]}}, "has 7, which is not a route"),
    ],
)
def test_malformed_workflows_are_errors_naming_the_place(settings, reported, workflows, named):
    with_workflows(settings, workflows)
    [error] = reported("flowscope.E007")
    assert named in error.msg
    assert '"routes": ["POST /api/v1/orders/checkout/"]' in error.hint


def test_a_route_that_the_urlconf_does_not_have_is_reported(settings, reported):
    known = ["GET /api/v1/products/<int:pk>/", "/api/v1/cart/items/"]
    with_workflows(settings, {"shop": {"routes": known, "complete_on": ["POST /api/v1/pay/"]}})
    [warning] = reported("flowscope.W014")
    assert "['shop']['complete_on'] names 'POST /api/v1/pay/'" in warning.msg
    with_workflows(settings, {"shop": {"routes": known}})
    assert reported("flowscope.W014") == []


def test_invalid_workflow_definitions_are_an_error(settings, reported):
    steps = [{"method": "GET", "path": "/api/v1/products/{product_id}/"}]
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": {"fetch": {"steps": steps}}}
    [error] = reported("flowscope.E008")
    assert "fetch, step 1" in error.msg and "product_id" in error.msg
    assert "Workflow definitions" in error.hint
