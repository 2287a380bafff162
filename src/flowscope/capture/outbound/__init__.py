"""Outbound HTTP calls as ``external`` steps, without a change to the host's code.

One collector per HTTP library wraps the method every call of that library goes through,
as Sentry's and OpenTelemetry's integrations do: ``requests`` (``Session.send``), ``httpx``
(``Client.send``, ``AsyncClient.send``) and ``urllib3`` (``HTTPConnectionPool.urlopen``).
``calls`` makes a call a step and adds the trace's headers to it, ``urls`` names it by a
route-like path, and ``patching`` installs and removes the wrappers.
"""
