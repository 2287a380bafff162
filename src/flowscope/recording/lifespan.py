"""An ASGI app for the ``lifespan`` scope: at server startup the recorder starts (and writes
what an earlier process spooled at its shutdown); at server shutdown it writes what it holds
before the process exits, within ``SHUTDOWN_TIMEOUT``, and spools the rest. Route it in
the host's ``asgi.py``::

    ProtocolTypeRouter({"http": django_asgi_app, "lifespan": flowscope_lifespan})
"""

import asyncio

from flowscope.recording.recorder import get_recorder


async def flowscope_lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await asyncio.to_thread(get_recorder().start)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await asyncio.to_thread(get_recorder().shutdown)
            await send({"type": "lifespan.shutdown.complete"})
            return
