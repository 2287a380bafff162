"""Manual API testing from the dashboard: requests and whole workflows sent in-process
through the host project's own middleware and URLconf, so each is traced like real traffic.

- ``safety`` — what a test may send (a path of this project, clean headers, limits);
- ``environ``, ``dispatch`` — the WSGI request and the worker thread that serves it;
- ``payloads``, ``response_body``, ``json_paths``, ``assertions`` — bodies in and out;
- ``endpoint_test``, ``definitions``, ``templates``, ``workflow_run`` — the two kinds of run;
- ``history`` — runs stored scrubbed, and run again;
- ``discovery``, ``openapi`` — every route of the URLconf, with its schema.
"""
