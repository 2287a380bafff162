"""Workflow definitions are checked when read: a mistake is an error that names it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from flowscope.manual_testing import definitions

STEP = {"method": "GET", "path": "/api/v1/products/"}


def read(settings, configured):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "WORKFLOW_DEFINITIONS": configured}
    return definitions.all_workflows()


def test_defaults_filled_in(settings):
    (workflow,) = read(settings, {"browse": {"steps": [STEP]}}).values()
    assert (workflow.name, workflow.workflow_type, workflow.params) == ("browse", "browse", {})
    (step,) = workflow.steps
    assert (step.name, step.expected_status, step.extract, step.body) == (
        "GET /api/v1/products/",
        (),
        {},
        None,
    )


@pytest.mark.parametrize(
    "configured, says",
    [
        (["not", "a", "dict"], "a dict of workflows"),
        ({"bad name!": {"steps": [STEP]}}, "names of 1-64"),
        ({"w": {"steps": []}}, "a list of steps"),
        ({"w": {"steps": [STEP], "colour": "red"}}, "not ['colour']"),
        ({"w": {"steps": [{**STEP, "method": "TRACE"}]}}, "w, step 1: needs a method"),
        ({"w": {"steps": [{**STEP, "path": "api/v1/"}]}}, "a path starting with /"),
        ({"w": {"steps": [{**STEP, "expected_status": "200"}]}}, "HTTP status codes"),
        ({"w": {"steps": [{**STEP, "extract": {"id": "a..b"}}]}}, "JSON paths to extract"),
        ({"w": {"steps": [{**STEP, "headers": ["x"]}]}}, "headers as a dict"),
        ({"w": {"steps": [{**STEP, "path": "/p/{nope}/"}]}}, "['nope']"),
        (
            {
                "w": {
                    "steps": [
                        {**STEP, "body": {"a": "{later}"}},
                        {**STEP, "extract": {"later": "id"}},
                    ]
                }
            },
            "w, step 1: needs placeholders",
        ),
        ("/no/such/file.json", "a readable JSON file"),
    ],
)
def test_mistakes_are_named(settings, configured, says):
    with pytest.raises(ImproperlyConfigured) as raised:
        read(settings, configured)
    assert says in str(raised.value)


def test_the_example_projects_four_workflows():
    assert sorted(definitions.all_workflows()) == [
        "cart_update",
        "checkout",
        "login",
        "product_fetch",
    ]
