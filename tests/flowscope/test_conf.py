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


def test_thresholds_that_are_not_numbers_are_reported(settings):
    settings.FLOWSCOPE = {
        "THRESHOLDS": {
            "response_time_ms": {"warning": "500"},
            "error_rate": {"warning": 0.1, "critical": 0.5},
        }
    }
    errors = [m for m in checks.run_checks() if m.id == "flowscope.E001"]
    assert len(errors) == 1
    assert "response_time_ms" in errors[0].msg
