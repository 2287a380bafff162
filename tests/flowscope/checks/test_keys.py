"""Ingest keys when ingest is mounted; key settings that are lists of keys."""

import pytest


def test_ingest_mounted_without_keys_refuses_every_sender(settings, reported):
    assert reported("flowscope.W013", deploy=True) == []  # the example sets its key
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": []}
    assert reported("flowscope.W013") == []  # senders are not known to exist
    [warning] = reported("flowscope.W013", deploy=True)
    assert "401" in warning.msg
    assert "INGEST_KEYS" in warning.hint
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_ORIGINS": ["https://shop.example"]}
    assert len(reported("flowscope.W013")) == 1  # they are, and would all be refused
    assert len(reported("flowscope.W013", deploy=True)) == 1


def test_no_keys_needed_where_ingest_is_not_mounted(settings, reported):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "INGEST_KEYS": []}
    settings.ROOT_URLCONF = "tests.flowscope.checks.urlconfs.not_mounted"
    assert reported("flowscope.W013", deploy=True) == []


@pytest.mark.parametrize("name", ["INGEST_KEYS", "HEALTH_KEYS"])
@pytest.mark.parametrize("value", ["one-secret", [""], [None], None])
def test_keys_must_be_a_list_of_strings(settings, reported, name, value):
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, name: value}
    [error] = reported("flowscope.E006")
    assert repr(name) in error.msg
    assert reported("flowscope.W013") == []
