"""An ASGI app for the ``lifespan`` scope: on server shutdown, the recorder writes what it
holds before the process exits. Route it in the host's ``asgi.py``::

    ProtocolTypeRouter({"http": django_asgi_app, "lifespan": flowscope_lifespan})
"""

import asyncio

from flowscope.recording.recorder import get_recorder


async def flowscope_lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.to_thread(get_recorder().shutdown)
            await send({"type": "lifespan.shutdown.complete"})
            return
