"""The channel layer: there, usable, reaching the writers, answering."""

import os

import pytest

from tests.servers import free_port

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def redis_layer(url):
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }


def test_no_channel_layer_turns_live_updates_off(settings, reported):
    settings.CHANNEL_LAYERS = IN_MEMORY
    assert reported("flowscope.W008") == []
    settings.CHANNEL_LAYERS = {}
    [warning] = reported("flowscope.W008")
    assert "Live updates are off: no channel layer" in warning.msg
    assert warning.hint.startswith("Set CHANNEL_LAYERS")


def test_a_layer_that_cannot_be_made_is_an_error(settings, reported):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "nowhere.ChannelLayer"}}
    [error] = reported("flowscope.E004")
    assert "nowhere.ChannelLayer" in error.msg
    assert "BACKEND" in error.hint
    assert reported("flowscope.W008") == []


def test_writers_in_other_processes_cannot_reach_an_in_memory_layer(settings, reported):
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "redis"}
    [warning] = reported("flowscope.W009")
    assert "flowscope_writer" in warning.msg
    assert "RedisChannelLayer" in warning.hint
    settings.FLOWSCOPE = {**settings.FLOWSCOPE, "TRANSPORT": "thread"}
    assert reported("flowscope.W009") == []


def test_a_redis_layer_that_does_not_answer_is_reported(settings, reported):
    settings.CHANNEL_LAYERS = redis_layer(f"redis://127.0.0.1:{free_port()}/0")  # nobody
    [warning] = reported("flowscope.W010")
    assert "RedisChannelLayer" in warning.msg
    assert "Start the server" in warning.hint


@pytest.mark.redis
def test_a_redis_layer_that_answers_is_fine(settings, reported):
    settings.CHANNEL_LAYERS = redis_layer(os.environ["REDIS_URL"])
    assert reported("flowscope.W010") == []
    assert reported("flowscope.W016", deploy=True) == []


def test_a_deployment_on_the_in_memory_layer_is_warned(settings, reported):
    settings.CHANNEL_LAYERS = IN_MEMORY
    assert reported("flowscope.W016") == []  # not while developing
    [warning] = reported("flowscope.W016", deploy=True)
    assert "several server processes" in warning.msg
