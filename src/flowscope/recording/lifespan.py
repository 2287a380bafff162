"""An ASGI app for the ``lifespan`` scope: at server startup the recorder starts (and writes
what an earlier process spooled at its shutdown); at server shutdown it writes what it holds
before the process exits, within ``SHUTDOWN_TIMEOUT``, and spools the rest.
``flowscope.asgi.with_flowscope`` routes it, around the host application's own lifespan
when it has one (``lifespan_around``); by hand, in the host's ``asgi.py``::

    ProtocolTypeRouter({"http": django_asgi_app, "lifespan": flowscope_lifespan})
"""

import asyncio
import logging

from flowscope.recording.recorder import get_recorder

logger = logging.getLogger(__name__)


async def flowscope_lifespan(scope, receive, send):
    await _serve(receive, send, host=None)


def lifespan_around(app):
    """Flowscope's lifespan with ``app``'s own inside it: the recorder starts before the
    app's startup and writes what it holds after the app's shutdown, so that what the app
    does while it stops is kept. An app that does not speak lifespan (Django's raises at
    once) is left out of it, as servers leave out such an app."""

    async def lifespan(scope, receive, send):
        await _serve(receive, send, host=HostLifespan(app, scope))

    return lifespan


async def _serve(receive, send, host):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await asyncio.to_thread(get_recorder().start)
            answer = await host.ask(message) if host else None
            if answer and answer["type"] == "lifespan.startup.failed":
                await asyncio.to_thread(get_recorder().shutdown)
                await send(answer)
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            answer = await host.ask(message) if host else None
            await asyncio.to_thread(get_recorder().shutdown)
            await send(answer or {"type": "lifespan.shutdown.complete"})
            return


class HostLifespan:
    """The host application's lifespan, run beside flowscope's: each message the server
    sends is passed on to it, and its answer comes back. Until it ends without answering;
    then it is asked nothing more."""

    def __init__(self, app, scope):
        self.app, self.scope = app, scope
        self.inbox, self.outbox = asyncio.Queue(), asyncio.Queue()
        self.task = None

    async def ask(self, message):
        if self.task is None:
            self.task = asyncio.create_task(self.app(self.scope, self.inbox.get, self.outbox.put))
        elif self.task.done():
            return None
        await self.inbox.put(message)
        answer = asyncio.ensure_future(self.outbox.get())
        await asyncio.wait({answer, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if answer.done():
            return answer.result()
        answer.cancel()
        self._ended(message)
        return None

    def _ended(self, message):
        error = None if self.task.cancelled() else self.task.exception()
        if message["type"] == "lifespan.startup":
            # What ASGI servers conclude too: the application does not support lifespan.
            logger.debug("The application has no lifespan of its own (%r).", error)
        elif error is not None:
            logger.error("The application's lifespan failed at shutdown.", exc_info=error)
