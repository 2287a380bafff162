"""The WSGI environ of a tested request, built from nothing but the test itself.

Nothing of the dashboard request is copied but where it came from (host, scheme, client
address and the forwarding headers a proxy in front of the project set on it, so
``ALLOWED_HOSTS``, ``request.get_host()`` and the client's address behave as for the
tester's own browser): not its cookies, session or ``Authorization``, nor a proxy's word
on who the user is. A tested request is anonymous unless the test sends credentials of its
own, and it cannot claim another origin (``proxy_headers``).
"""

import io
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from django.http.request import split_domain_port

from flowscope.manual_testing.proxy_headers import forwarding_of

USER_AGENT = "flowscope-manual-test"


@dataclass(frozen=True)
class Origin:
    """Where the dashboard user is: the tested request arrives as if from there."""

    host: str
    scheme: str = "http"
    remote_addr: str = "127.0.0.1"
    forwarding: tuple = ()  # (META key, value) of X-Forwarded-For and the like

    @classmethod
    def of(cls, request):
        meta = request.META
        return cls(
            request.get_host(), request.scheme, meta.get("REMOTE_ADDR", ""), forwarding_of(meta)
        )


@dataclass(frozen=True)
class ManualRequest:
    """A validated request to send: ``path`` as written (percent-encoded), headers by name."""

    method: str
    path: str
    query_string: str = ""
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""


def build_environ(tested, origin, extra_headers):
    """The environ a WSGI server would build; ``extra_headers`` are the dispatcher's own."""
    server_name, port = split_domain_port(origin.host)
    environ = {
        "REQUEST_METHOD": tested.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(tested.path).decode("iso-8859-1"),
        "QUERY_STRING": tested.query_string,
        "SERVER_NAME": server_name or origin.host,
        "SERVER_PORT": port or ("443" if origin.scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": origin.remote_addr or "127.0.0.1",
        "HTTP_HOST": origin.host,
        "HTTP_USER_AGENT": USER_AGENT,
        "CONTENT_LENGTH": str(len(tested.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": origin.scheme,
        "wsgi.input": io.BytesIO(tested.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    environ.update(origin.forwarding)
    # A run is no customer's browser session: an empty journey header wins over a journey
    # cookie the test may send, so the run never joins someone's journey.
    environ["HTTP_X_FLOWSCOPE_JOURNEY"] = ""
    if tested.content_type:
        environ["CONTENT_TYPE"] = tested.content_type
    for name, value in {**tested.headers, **extra_headers}.items():
        environ[_meta_key(name)] = value
    return environ


def _meta_key(name):
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
