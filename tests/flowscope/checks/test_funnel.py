"""FUNNEL is checked at start: a malformed one is an error, a step that names no workflow
type of WORKFLOWS a warning naming it."""

import pytest

from flowscope.conf import flowscope_settings


def with_funnel(settings, steps):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "FUNNEL": steps}


def test_the_examples_funnel_is_fine(reported):
    assert reported("flowscope.E210") == reported("flowscope.W210") == []


@pytest.mark.parametrize(
    ("steps", "named"),
    [
        ("login", "must be a list of workflow types"),
        (["login", "check out"], "has 'check out', which is not a workflow type"),
        (["login", 7], "has 7, which is not a workflow type"),
        (["login", "checkout", "login"], "names a workflow type twice"),
    ],
)
def test_a_malformed_funnel_is_an_error_naming_what_is_wrong(settings, reported, steps, named):
    with_funnel(settings, steps)
    [error] = reported("flowscope.E210")
    assert named in error.msg


def test_a_step_of_no_configured_workflow_type_is_named(settings, reported):
    with_funnel(settings, ["login", "chekout"])
    [warning] = reported("flowscope.W210")
    assert "'chekout'" in warning.msg
    assert reported("flowscope.E210") == []


def test_a_host_that_never_declared_a_funnel_has_none_and_nothing_to_report(settings, reported):
    settings.FLOWSCOPE = {"WORKFLOWS": {"signup": {"routes": ["POST /api/v1/auth/login/"]}}}
    assert flowscope_settings.FUNNEL == []
    assert reported("flowscope.E210") == reported("flowscope.W210") == []


def test_the_example_declares_its_shops_four_workflows_as_its_funnel(settings):
    assert settings.FLOWSCOPE["FUNNEL"] == ["login", "product_fetch", "cart_update", "checkout"]
    assert set(settings.FLOWSCOPE["FUNNEL"]) <= set(settings.FLOWSCOPE["WORKFLOWS"])
