"""Flowscope beside the host's ASGI application, in one call, in the host's ``asgi.py``::

    application = with_flowscope(get_asgi_application())

- HTTP goes to the host's application, ingest bodies refused as they arrive over
  ``INGEST_MAX_BYTES`` (``flowscope.ingest.asgi.limit_ingest_bodies``);
- WebSockets under flowscope's mount (``<mount>ws/...``, and ``ws/debugging/...``) go to
  the dashboard's sockets, with their origin check and authentication; any other socket
  goes to the host's application;
- the lifespan starts flowscope's recorder and, when the server stops, writes what it
  still holds: around the host's own lifespan when its application has one.

The result is a Channels ``ProtocolTypeRouter``, so ``ASGI_APPLICATION`` names it as it
names any Channels application. This module is imported before Django is set up (an
``asgi.py`` imports it first): what needs Django is imported when ``with_flowscope`` is
called, after ``get_asgi_application()``.

Served over WSGI only (runserver, gunicorn), there are no sockets and no lifespan: the
dashboard page polls the API, and the recorder starts with the first trace.
"""


def with_flowscope(app):
    """``app`` (the host's ASGI application) with flowscope's sockets and lifespan."""
    from channels.routing import ProtocolTypeRouter

    from flowscope.ingest.asgi import limit_ingest_bodies
    from flowscope.realtime.routing import websocket_application
    from flowscope.recording.lifespan import lifespan_around

    return ProtocolTypeRouter(
        {
            "http": limit_ingest_bodies(app),
            "websocket": websocket_application(fallback=app),
            "lifespan": lifespan_around(app),
        }
    )
