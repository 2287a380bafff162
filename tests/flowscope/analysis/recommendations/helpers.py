"""Stored requests, queries and lookups for the recommendation tests, and a run's findings."""

from datetime import timedelta

from flowscope.analysis.recommendations import recommend
from flowscope.recording import writer
from tests.flowscope.factories import T0, make_span, make_trace

WINDOW = {"since": T0 - timedelta(hours=1), "until": T0 + timedelta(hours=1)}
SQL = 'SELECT "shop_category"."id" FROM "shop_category" WHERE "shop_category"."id" = ? LIMIT ?'
SITE = {"file": "/app/shop/views.py", "line": 42, "function": "get"}


def request(name="GET /api/v1/x/", *, cid="wf-1", ms=100.0, at=T0, status="ok", **metadata):
    """A request (one API step) with extra metadata, as the middleware would describe it."""
    spans = metadata.pop("spans", ())
    trace = make_trace(cid, at=at, duration_ms=ms, name=name, status=status, spans=spans)
    trace.root.metadata.update(metadata)
    return trace


def store(traces):
    writer.write(list(traces))


def found(kind, **kwargs):
    return [r for r in recommend(**WINDOW, **kwargs) if r["kind"] == kind]


def only(kind, **kwargs):
    (recommendation,) = found(kind, **kwargs)
    return recommendation


def query(sql=SQL, ms=5.0, **metadata):
    return make_span("database", sql[:500], duration_ms=ms, sql=sql, call_site=SITE, **metadata)


def lookup(hit, alias="default"):
    return make_span("cache", "cache.get", alias=alias, operation="get", hit=hit)


def flagged(name="GET /api/v1/products/<int:pk>/related/", cid="wf-1", sql=SQL, count=12):
    return request(name, cid=cid, n_plus_one=[{"sql": sql, "count": count, "call_site": SITE}])


def requests_with_queries(durations, sql=SQL, cid="wf-1"):
    return [request(cid=cid, spans=[query(sql, ms)]) for ms in durations]


def lookups(hits, misses, alias="default"):
    spans = [lookup(True, alias) for _ in range(hits)] + [
        lookup(False, alias) for _ in range(misses)
    ]
    return [request(spans=spans)]


def route_with_errors(name, total, errors):
    return [
        request(
            name,
            cid=f"{name}-{i}",
            status="error" if i < errors else "ok",
            status_code=500 if i < errors else 200,
        )
        for i in range(total)
    ]


def workflows(kind, count, requests):
    return [
        make_trace(f"{kind}-{w}", at=T0 + timedelta(seconds=r), workflow_type=kind)
        for w in range(count)
        for r in range(requests)
    ]
