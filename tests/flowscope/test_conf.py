import os
import subprocess
import sys

import pytest
from django.core import checks
from django.test import override_settings

from flowscope.conf import DEFAULTS, flowscope_settings


def test_defaults_apply_when_the_host_sets_nothing(settings):
    settings.FLOWSCOPE = {}
    assert flowscope_settings.ENABLED is DEFAULTS["ENABLED"]


def test_host_values_win_and_follow_override_settings():
    with override_settings(FLOWSCOPE={"ENABLED": False}):
        assert flowscope_settings.ENABLED is False
    assert flowscope_settings.ENABLED is True


def test_unknown_setting_names_raise():
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        _ = flowscope_settings.NOT_A_SETTING


def test_a_typo_in_the_settings_dict_is_reported_by_manage_py_check(settings):
    settings.FLOWSCOPE = {"ENABLD": False}
    messages = [m for m in checks.run_checks() if m.id == "flowscope.W001"]
    assert len(messages) == 1
    assert "ENABLD" in messages[0].msg


def middleware_warnings(settings, middleware):
    settings.MIDDLEWARE = middleware
    return [m.id for m in checks.run_checks() if m.id.startswith("flowscope.W00")]


def test_missing_or_misplaced_middleware_is_reported(settings):
    ours = "flowscope.capture.middleware.FlowscopeMiddleware"
    common = "django.middleware.common.CommonMiddleware"
    assert middleware_warnings(settings, [common]) == ["flowscope.W002"]
    assert middleware_warnings(settings, [common, ours]) == ["flowscope.W003"]
    assert middleware_warnings(settings, [ours, common]) == []


def check_errors(settings, check_id, **options):
    settings.FLOWSCOPE = options
    return sorted(m.msg for m in checks.run_checks() if m.id == check_id)


def test_thresholds_that_are_not_numbers_are_reported(settings):
    thresholds = {
        "response_time_ms": {"warning": "500"},
        "error_rate": {"warning": 0.1, "critical": 0.5},
        "requests_per_workflow": {"info": "many"},
        "cache_hit_ratio": {"warning": 0.5, "above": "no"},
        "slow_query_ms": {"warning": 50, "info": None},  # None: that level is off
    }
    errors = check_errors(settings, "flowscope.E001", THRESHOLDS=thresholds)
    assert len(errors) == 3
    for metric, message in zip(
        ["cache_hit_ratio", "requests_per_workflow", "response_time_ms"], errors, strict=True
    ):
        assert repr(metric) in message


def test_evidence_minimums_that_are_not_counts_are_reported(settings):
    minimums = {"route_requests": -1, "workflows": 2.5, "lookups": 3, "cache_lookups": 0}
    errors = check_errors(settings, "flowscope.E002", RECOMMENDATION_MIN_EVIDENCE=minimums)
    assert len(errors) == 3
    assert not any("'cache_lookups'" in message for message in errors)
    assert check_errors(settings, "flowscope.E002") == []  # the defaults are fine


def test_the_release_defaults_to_the_environment_variable():
    read = "from flowscope.conf import DEFAULTS; print(DEFAULTS['RELEASE'])"
    run = subprocess.run(
        [sys.executable, "-c", read],
        env={**os.environ, "FLOWSCOPE_RELEASE": "2026.12.1-abc123"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "2026.12.1-abc123"
