"""Manual API testing from the dashboard: requests and whole workflows sent in-process
through the host project's own middleware and URLconf, so each is traced like real traffic,
and changes none of the project's data (``flowscope.is_synthetic()`` tells host code).

- ``safety`` — what a test may send (a path of this project, clean headers, limits);
- ``environ``, ``dispatch`` — the WSGI request and the run's worker thread that serves it;
- ``rollback`` — the run's transaction on every database, rolled back at its end;
- ``payloads``, ``response_body``, ``json_paths``, ``assertions`` — bodies in and out;
- ``endpoint_test``, ``definitions``, ``templates``, ``workflow_run`` — the two kinds of run;
- ``history`` — runs stored scrubbed, and run again;
- ``discovery``, ``openapi`` — every route of the URLconf, with its schema.
"""
