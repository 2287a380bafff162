"""The workflow report: one workflow, complete enough to attach to a bug ticket.

Bounded whatever the workflow: its first ``MAX_STEPS`` steps and ``MAX_ERRORS`` errors
(``analysis.workflows``), and the tables say so when there were more.
"""

import statistics
from datetime import timedelta

from flowscope.analysis import invariants, replays, timing, workflows
from flowscope.analysis.recommendations import recommend
from flowscope.models import Layer
from flowscope.reports.sections import fields, ms, ratio, table, text

PEERS = 200
PEER_PERIOD = timedelta(hours=24)


def build(workflow):
    steps = workflows.steps_of(workflow)
    errors = workflows.errors_of(workflow)
    analysis = timing.analyze(steps)
    steps_cut = workflows.steps_truncated(workflow, steps)
    errors_cut = workflows.errors_truncated(workflow, errors)
    return {
        "title": f"Workflow report: {workflow.workflow_type} {workflow.correlation_id}",
        "summary": summary(workflow),
        "sections": [
            step_table(steps, analysis, _first_of(len(steps), workflow.step_count, steps_cut)),
            fields(
                "time_per_layer",
                "Time per layer (self, ms)",
                {
                    layer: entry["self_ms"]
                    for layer, entry in sorted(analysis["time_per_layer"].items())
                },
            ),
            critical_path(steps, analysis),
            slowest(steps, analysis),
            queries(analysis),
            fields(
                "cache",
                "Cache",
                {
                    "Hits": analysis["cache"]["hits"],
                    "Misses": analysis["cache"]["misses"],
                    "Hit ratio": ratio(analysis["cache"]["hit_ratio"]),
                },
            ),
            error_table(errors, _first_of(len(errors), workflow.error_count, errors_cut)),
            invariant_table(workflow),
            frontend(steps),
            advice(workflow, steps),
            comparison(workflow, steps),
            *latest_replay(workflow),
        ],
    }


def summary(workflow):
    return {
        "Correlation ID": workflow.correlation_id,
        "Type": workflow.workflow_type,
        "Status": workflow.status,
        "User": workflow.user.get_username() if workflow.user else None,
        "Started": workflow.started_at.isoformat(),
        "Duration (ms)": ms(workflow.duration_ms),
        "Requests": workflow.request_count,
        "Steps": workflow.step_count,
        "Errors": workflow.error_count,
    }


def _flatten(nodes, depth=0):
    for node in nodes:
        yield depth, node
        yield from _flatten(node["children"], depth + 1)


def _first_of(shown, total, cut):
    return f"The first {shown} of {total}; the rest are left out of this report." if cut else ""


def step_table(steps, analysis, note=""):
    critical = set(analysis["critical_path"])
    slow = set(analysis["slowest_steps"])
    tree = timing.step_tree(steps, lambda s: {"step": s})
    rows = []
    for depth, node in _flatten(tree):
        step = node["step"]
        flags = [
            name
            for name, on in (
                ("critical path", step.span_id in critical),
                ("N+1", step.metadata.get("repeated")),
                ("slow", step.span_id in slow),
            )
            if on
        ]
        rows.append(
            [
                "  " * depth + step.name,
                step.layer,
                step.status,
                node["offset_ms"],
                ms(step.duration_ms),
                ", ".join(flags),
            ]
        )
    return table(
        "steps",
        "Step tree",
        ["Step", "Layer", "Status", "Start (ms)", "Duration (ms)", "Flags"],
        rows,
        note=note,
    )


def critical_path(steps, analysis):
    return _steps_table("critical_path", "Critical path", steps, analysis["critical_path"])


def slowest(steps, analysis):
    return _steps_table("slowest", "Slowest steps", steps, analysis["slowest_steps"])


def _steps_table(key, title, steps, span_ids):
    by_span = {s.span_id: s for s in steps}
    rows = [[by_span[i].name, by_span[i].layer, ms(by_span[i].duration_ms)] for i in span_ids]
    return table(key, title, ["Step", "Layer", "Duration (ms)"], rows)


def queries(analysis):
    rows = []
    for query in analysis["queries"]:
        site = query["call_site"] or {}
        where = f"{site.get('file', '')}:{site.get('line', '')} {site.get('function', '')}"
        if site.get("in_app") is False:
            where += " (library)"
        rows.append(
            [
                query["sql"],
                query["count"],
                query["total_ms"],
                query["n_plus_one"],
                query["repeated"],
                where.strip(": "),
            ]
        )
    return table(
        "queries", "Queries", ["SQL", "Count", "Total (ms)", "N+1", "Repeated", "Called from"], rows
    )


def stack_text(frames):
    return "\n".join(
        f"{'*' if f.get('in_app') else ' '} {f['file']}:{f['line']} in {f['function']}"
        for f in frames
    )


def invariant_table(workflow):
    """The business rules it was held to when it ended: broken ones first, with what was
    seen, then those that held."""
    check = invariants.of_workflow(workflow)
    if check is None:
        return text(
            "invariants",
            "Invariants",
            "Not checked: it has not completed or failed, or its type has no invariants.",
        )
    broken = {item["rule"]: item["message"] for item in check["violated"]}
    held = [rule for rule in check["rules"] if rule not in broken]
    rows = [[rule, "broken", message] for rule, message in broken.items()]
    rows += [[rule, "held", ""] for rule in held]
    note = f"Checked when it {check['status']}."
    return table("invariants", "Invariants", ["Rule", "Result", "What was seen"], rows, note)


def error_table(errors, note=""):
    rows = [
        [
            e.created_at.isoformat(),
            e.layer,
            e.severity,
            e.error_type,
            e.message,
            e.step.name if e.step else None,
            stack_text(e.stack_trace),
        ]
        for e in errors
    ]
    return table(
        "errors",
        "Errors",
        ["When", "Layer", "Severity", "Type", "Message", "Step", "Stack (* = your code)"],
        rows,
        note=note,
    )


def frontend(steps):
    rows = [[s.name, ms(s.duration_ms), s.status] for s in steps if s.layer == Layer.FRONTEND]
    return table("frontend", "Browser timings", ["Step", "Duration (ms)", "Status"], rows)


def advice(workflow, steps):
    """The recommendations over this workflow's time that concern its routes or queries."""
    names = {s.name for s in steps} | {s.metadata.get("sql") for s in steps}
    end = workflow.ended_at or workflow.last_activity_at
    found = [
        r
        for r in recommend(
            workflow.started_at - timedelta(seconds=1), end + timedelta(seconds=1), limit=None
        )
        if names & {r["evidence"].get("route"), r["evidence"].get("sql")}
        or workflow.correlation_id in r["evidence"].get("examples", [])
    ]
    body = "\n\n".join(
        f"[{r['severity']}] {r['title']}\n{r['explanation']}\nSuggestion: {r['suggestion']}"
        for r in found
    )
    return text("recommendations", "Recommendations", body or "None apply.")


COMPARISON_COLUMNS = ["Measure", "This workflow", "Median of similar", "Difference"]


def comparison(workflow, steps):
    """This workflow against the median of completed ones of its type around it: its
    duration end to end, then each layer's self time (a step's own time, less its
    children's, as in "Time per layer"), reckoned the same way on both sides."""
    peers = workflows.completed_peers(workflow, PEER_PERIOD, PEERS)
    title = "Compared with similar workflows"
    if not peers:
        note = f"No completed {workflow.workflow_type} workflow within 24 hours."
        return table("comparison", title, COMPARISON_COLUMNS, [], note=note)
    durations = [d for _, d in peers if d is not None]
    rows = [_row("Total duration, end to end (ms)", workflow.duration_ms, durations)]
    mine = workflows.time_per_layer([workflow.pk]).get(workflow.pk, {})
    theirs = workflows.time_per_layer([pk for pk, _ in peers]).values()
    for layer in sorted({layer for layers in theirs for layer in layers} | set(mine)):
        rows.append(
            _row(
                f"{layer} self time (ms)",
                _self_ms(mine, layer),
                [_self_ms(layers, layer) for layers in theirs],
            )
        )
    note = (
        f"{len(peers)} completed {workflow.workflow_type} workflows within 24 h. Self time: "
        "a step's own time, less its children's."
    )
    return table("comparison", title, COMPARISON_COLUMNS, rows, note=note)


REPLAY_COLUMNS = ["Step", "Layer", "Change", "Status code", "Queries", "Duration (ms)"]


def latest_replay(workflow):
    """The latest replay of this workflow against it, as two sections: its summary (who ran
    it and when, how each ended, steps changed, added and gone, the queries before and
    after), then the steps that differ (those that stayed the same are left out)."""
    replayed, found = replays.latest_diff(workflow)
    if replayed is None:
        return [text("replay", "Latest replay", "Never replayed.")]
    summary = found["summary"]
    queries = summary["queries"]
    values = {
        "Replay": replayed.correlation_id,
        "By": replays.replayed_by(replayed) or None,
        "When": replayed.started_at.isoformat(),
        "Status": f"{found['status']['original']} → {found['status']['replay']}",
        "Steps changed": summary["changed"],
        "Steps added": summary["added"],
        "Steps gone": summary["gone"],
        "Queries": f"{queries['original']} → {queries['replay']}",
    }
    rows = [_replay_row(row) for row in found["steps"] if row["change"] != "same"]
    return [
        fields("replay", "Latest replay", values),
        table(
            "replay_steps",
            "Latest replay: steps that differ",
            REPLAY_COLUMNS,
            rows,
            note="" if rows else "Every step matched the original's.",
        ),
    ]


def _replay_row(row):
    before, after = row["original"] or {}, row["replay"] or {}

    def pair(key, fmt=lambda v: v):
        values = [fmt(side[key]) if side.get(key) is not None else "—" for side in (before, after)]
        return f"{values[0]} → {values[1]}"

    return [
        row["name"],
        row["layer"],
        row["change"],
        pair("status_code"),
        pair("query_count"),
        pair("duration_ms", ms),
    ]


def _self_ms(layers, layer):
    return layers.get(layer, {}).get("self_ms", 0.0)


def _row(label, value, values):
    median = statistics.median(values) if values else None
    delta = value - median if value is not None and median is not None else None
    return [label, ms(value), ms(median), ms(delta)]
