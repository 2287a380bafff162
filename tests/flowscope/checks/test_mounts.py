"""Flowscope's URLs reach flowscope's views, wherever they are mounted."""

URLCONFS = "tests.flowscope.checks.urlconfs"


def test_the_example_mounts_flowscope_before_its_catch_all(reported):
    assert reported("flowscope.E009") == []
    assert reported("flowscope.W015") == []


def test_a_catch_all_before_the_include_is_an_error(settings, reported):
    settings.ROOT_URLCONF = f"{URLCONFS}.catch_all_first"
    [error] = reported("flowscope.E009")
    assert "single_page_app" in error.msg
    assert "/api/v1/debugging/" in error.msg or "/debugging/" in error.msg
    assert "more" in error.msg  # every URL is caught; a few are named
    assert "Move flowscope's include above that pattern" in error.hint


def test_a_catch_all_after_the_include_is_fine(settings, reported):
    settings.ROOT_URLCONF = f"{URLCONFS}.catch_all_last"
    assert reported("flowscope.E009") == []


def test_any_prefix_is_fine(settings, reported):
    settings.ROOT_URLCONF = f"{URLCONFS}.elsewhere"
    assert reported("flowscope.E009") == []
    assert reported("flowscope.W015") == []


def test_no_mount_at_all_is_reported(settings, reported):
    settings.ROOT_URLCONF = f"{URLCONFS}.not_mounted"
    [warning] = reported("flowscope.W015")
    assert 'include("flowscope.urls")' in warning.hint
    assert reported("flowscope.E009") == []
