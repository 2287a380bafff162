from flowscope.thresholds import effective_thresholds, evaluate


def test_a_value_past_a_level_is_an_alert_of_the_worst_one():
    assert evaluate("response_time_ms", 500) == (None, "")  # at the limit is not past it
    assert evaluate("response_time_ms", 501) == (500, "warning")
    assert evaluate("response_time_ms", 2001) == (2000, "critical")
    assert evaluate("cache_hit_ratio", 0.4) == (0.5, "warning")  # lower is worse
    assert evaluate("response_time_ms", None) == (None, "")
    assert evaluate("not_a_metric", 10**9) == (None, "")


def test_info_is_a_hint_never_an_alert():
    assert evaluate("requests_per_workflow", 30) == (None, "")
    assert effective_thresholds()["requests_per_workflow"]["info"] == 20


def test_settings_replace_only_the_levels_they_name(settings):
    settings.FLOWSCOPE = {"THRESHOLDS": {"response_time_ms": {"warning": 100}}}
    assert evaluate("response_time_ms", 150) == (100, "warning")
    assert evaluate("response_time_ms", 2500) == (2000, "critical")  # default critical
    assert evaluate("error_rate", 0.3) == (0.2, "critical")  # a metric it does not name


def test_an_override_goes_over_the_settings_and_none_turns_a_level_off(settings):
    settings.FLOWSCOPE = {"THRESHOLDS": {"error_rate": {"warning": 0.1}}}
    override = {"error_rate": {"critical": 0.5}, "response_time_ms": {"warning": None}}
    assert evaluate("error_rate", 0.3, override) == (0.1, "warning")
    assert evaluate("error_rate", 0.6, override) == (0.5, "critical")
    assert evaluate("response_time_ms", 1000, override) == (None, "")
    assert evaluate("response_time_ms", 2500, override) == (2000, "critical")
    assert effective_thresholds(override)["error_rate"] == {
        "warning": 0.1,
        "critical": 0.5,
        "above": True,
    }
