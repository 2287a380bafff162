"""The SQL of one ``GET /api/v1/debugging/dashboard-data/``, in process: how many queries,
how long each took, and (``--profile``) where the Python time goes.

Django's test client serves the request, as the staff user of ``dashboard_data.py`` with its
token, against ``--database-url``; ``CaptureQueriesContext`` records every query. Each
window is asked ``--warmup`` times unmeasured, then ``--repeat`` times; a query's time is
its median over the repeats. Prints one JSON object (``dashboard_latency.py`` runs this).

    .venv/bin/python bench/dashboard_queries.py --database-url postgres://... [--profile]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
URL = "/api/v1/debugging/dashboard-data/"


def setup(database_url, debug):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ecommerce_project.settings"
    os.environ["DEBUG"] = "true" if debug else "false"
    os.environ.pop("REDIS_URL", None)
    for sub in ("example", "src"):
        sys.path.insert(0, str(REPO_DIR / sub))
    import django

    django.setup()


class QueryTimer:
    """An execute wrapper timing each query with ``perf_counter`` (``CaptureQueriesContext``
    keeps only milliseconds): execution and fetching of the rows Django reads at once."""

    def __init__(self):
        self.times = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times.append((time.perf_counter() - started) * 1000)


def ask(client, window, token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timer = QueryTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        started = time.perf_counter()
        response = client.get(URL, {"window": window}, HTTP_AUTHORIZATION=f"Token {token}")
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{URL}?window={window}: {response.status_code} {response.content[:300]}")
    sqls = [q["sql"] for q in captured.captured_queries]
    if len(sqls) != len(timer.times):
        raise SystemExit(f"{len(sqls)} queries captured but {len(timer.times)} timed")
    return elapsed, list(zip(sqls, timer.times, strict=True)), response.json()


def measure(client, window, token, warmup, repeat):
    for _ in range(warmup):
        ask(client, window, token)
    runs = [ask(client, window, token) for _ in range(repeat)]
    counts = sorted({len(queries) for _, queries, _ in runs})
    first = runs[0][1]
    per_query = [
        {
            "index": index,
            "sql": sql,
            "median_ms": round(
                statistics.median(run[1][index][1] for run in runs if len(run[1]) > index), 3
            ),
        }
        for index, (sql, _) in enumerate(first)
    ]
    body = runs[-1][2]
    layers = body["system_health"]["layers"]
    return {
        "window": window,
        "query_counts": counts,
        "median_total_ms": round(statistics.median(run[0] for run in runs), 2),
        "median_sql_ms": round(statistics.median(sum(t for _, t in run[1]) for run in runs), 2),
        "queries": per_query,
        "summary": {
            "steps_in_window": {layer: entry["count"] for layer, entry in layers.items()},
            "active_workflows": len(body["active_workflows"]),
            "error_groups": len(body["recent_errors"]),
            "recommendations": [r["kind"] for r in body["optimization_recommendations"]],
            "slowest_routes": len(body["performance_metrics"]["slowest_routes"]),
            "slowest_queries": len(body["performance_metrics"]["slowest_queries"]),
            "processes": len(body["performance_metrics"]["process"]),
        },
    }


def profile(client, window, token, repeat, top=25):
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        ask(client, window, token)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--windows", default="15m,1h,6h,24h,7d")
    parser.add_argument("--token", help="default: the bench staff user's (dashboard_data.py)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--debug", action="store_true", help="Django DEBUG on")
    parser.add_argument("--profile", action="store_true", help="also cProfile each window")
    return parser.parse_args()


def main():
    args = parse_args()
    setup(args.database_url, args.debug)
    sys.path.insert(0, str(BENCH_DIR))
    from dashboard_data import STAFF_TOKEN
    from django.test import Client

    token = args.token or STAFF_TOKEN
    client = Client()
    results = {"windows": []}
    for window in args.windows.split(","):
        result = measure(client, window, token, args.warmup, args.repeat)
        if args.profile:
            result["profile"] = profile(client, window, token, args.repeat)
        results["windows"].append(result)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
