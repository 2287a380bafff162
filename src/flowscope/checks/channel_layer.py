"""The channel layer that carries live events to the dashboard's sockets: there, one that
can be made, one that reaches the processes that publish, and one that answers."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core import checks

from flowscope import prerequisites
from flowscope.conf import flowscope_settings

ANSWER_SECONDS = 3  # a layer that answers at all answers a round trip well within this
REDIS_LAYER = "channels_redis.core.RedisChannelLayer"


@checks.register(checks.Tags.compatibility)
def check_channel_layer(app_configs=None, **kwargs):
    missing = prerequisites.live_updates()
    if missing is not None:
        return [_missing(missing)]
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return _in_memory_with_writers()
    return _answers(layer)


def _missing(missing):
    if missing.broken:
        return checks.Error(
            f"CHANNEL_LAYERS['default'] cannot be used: {missing.what}.",
            hint=missing.fix,
            id="flowscope.E004",
        )
    return checks.Warning(
        f"Live updates are off: {missing.what}. The dashboard polls over HTTP, and its "
        "sockets close with 4503.",
        hint=missing.fix,
        id="flowscope.W008",
    )


def _in_memory_with_writers():
    if flowscope_settings.TRANSPORT != "redis":
        return []
    return [
        checks.Warning(
            'The in-memory channel layer with TRANSPORT "redis": live events are published '
            "by the flowscope_writer processes, and an in-memory layer reaches no socket "
            "outside its own process, so the dashboard receives none.",
            hint=f"Use {REDIS_LAYER} in CHANNEL_LAYERS.",
            id="flowscope.W009",
        )
    ]


def _answers(layer):
    try:
        async_to_sync(_round_trip)(layer)
    except Exception as exc:
        problem = "no answer" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
        return [
            checks.Warning(
                f"The channel layer ({type(layer).__name__}) does not answer ({problem}): "
                "the dashboard's sockets will hear nothing until it does.",
                hint="Start the server CHANNEL_LAYERS names (Redis), or correct its address.",
                id="flowscope.W010",
            )
        ]
    return []


async def _round_trip(layer):
    async with asyncio.timeout(ANSWER_SECONDS):
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "flowscope.check"})
        await layer.receive(channel)


@checks.register(checks.Tags.compatibility, deploy=True)
def check_in_memory_layer_deployed(app_configs=None, **kwargs):
    if prerequisites.live_updates() or not isinstance(get_channel_layer(), InMemoryChannelLayer):
        return []
    return [
        checks.Warning(
            "The in-memory channel layer in a deployment: a socket hears only what its own "
            "process records, so with several server processes or workers the dashboard "
            "misses most live events.",
            hint=f"Use {REDIS_LAYER} in CHANNEL_LAYERS.",
            id="flowscope.W016",
        )
    ]
