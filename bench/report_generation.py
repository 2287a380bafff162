"""How long the three reports take over 1,000,000 steps on PostgreSQL.

Uses the dataset of ``bench/dashboard_data.py`` (100,000 workflows, 1,000,000 steps over
7 days; load it first) and, as the baseline in the same run, the empty database of the same
schema. Each report is generated in-process through the same code the API calls (built,
stored), alternating full and empty database, several rounds; medians are reported.

    .venv/bin/python bench/dashboard_data.py --database-url postgres://postgres@127.0.0.1:5432/flowscope_bench
    .venv/bin/python bench/report_generation.py [--rounds 5]
"""

import argparse
import statistics
import time

from bench_common import REPO_DIR, django_env, django_in_process

FULL = "postgres://postgres@127.0.0.1:5432/flowscope_bench"
EMPTY = "postgres://postgres@127.0.0.1:5432/flowscope_bench_empty"


def setup(full_url, empty_url):
    django_in_process(REPO_DIR, django_env(REPO_DIR, debug=True, DATABASE_URL=full_url))
    import dj_database_url
    from django.conf import settings

    settings.DATABASES["empty"] = {
        **settings.DATABASES["default"],
        **dj_database_url.parse(empty_url),
    }
    from django.core.management import call_command

    for alias in ("default", "empty"):
        call_command("migrate", database=alias, verbosity=0)


def timed(alias, build):
    from django.db import connections

    from flowscope.capture import context  # noqa: F401  (imports settle before timing)

    connections["default"], saved = connections[alias], connections["default"]
    started = time.perf_counter()
    try:
        build()
    finally:
        connections["default"] = saved
    return (time.perf_counter() - started) * 1000


def reports(alias):
    """The three reports, each as the API generates it: ``(name, callable)``."""
    from datetime import timedelta

    from django.utils import timezone

    from flowscope.models import WorkflowSession
    from flowscope.reports import generate

    end = timezone.now()
    failed = (
        WorkflowSession.objects.using(alias).filter(status="failed").order_by("-started_at").first()
    )
    jobs = [
        (
            "system health, 24 h",
            lambda: generate.system_health_report(end - timedelta(hours=24), end, None),
        ),
        (
            "system health, 7 days",
            lambda: generate.system_health_report(end - timedelta(days=7), end, None),
        ),
        (
            "performance, 24 h",
            lambda: generate.performance_report(end - timedelta(hours=24), end, [], [], None),
        ),
        (
            "performance, 7 days",
            lambda: generate.performance_report(end - timedelta(days=7), end, [], [], None),
        ),
    ]
    if failed is not None:
        jobs.insert(0, ("workflow (a failed one)", lambda: generate.workflow_report(failed, None)))
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--full", default=FULL)
    parser.add_argument("--empty", default=EMPTY)
    args = parser.parse_args()
    setup(args.full, args.empty)
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM flowscope_tracestep")
        steps = cursor.fetchone()[0]
    times = {}
    for _ in range(args.rounds):
        for alias in ("default", "empty"):
            for name, build in reports(alias):
                times.setdefault((name, alias), []).append(timed(alias, build))
    print(f"full database: {steps:,} steps")
    print("| report | full: median ms | full: max ms | empty: median ms |")
    print("| --- | --- | --- | --- |")
    for name, _ in reports("default"):
        full, empty = times[(name, "default")], times.get((name, "empty"), [float("nan")])
        print(
            f"| {name} | {statistics.median(full):.0f} | {max(full):.0f} "
            f"| {statistics.median(empty):.0f} |"
        )


if __name__ == "__main__":
    main()
